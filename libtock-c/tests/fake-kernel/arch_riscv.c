// The fake kernel on qemu-rv32-virt: boots from pflash in M-mode and runs
// the app in M-mode too (no isolation: a test fixture); every ecall traps
// to handle_trap through entry_riscv.S.

#include <stdint.h>

#include "fake_kernel.h"

#define UART0 ((volatile uint8_t*)0x10000000)
#define TEST_DEVICE ((volatile uint32_t*)0x00100000)

// Registers saved by entry_riscv.S, in its order.
struct frame {
  uint32_t ra, a0, a1, a2, a3, a4;
  uint32_t others[10];
};

void boot(void);
void handle_trap(struct frame* frame);

void arch_uart_put(char character) {
  *UART0 = (uint8_t)character;
}

void arch_quit(uint32_t code) {
  // The SiFive test device: QEMU exits with `code` (0 for 0x5555).
  *TEST_DEVICE = code == 0 ? 0x5555u : (code << 16) | 0x3333u;
  while (1) {
  }
}

void handle_trap(struct frame* frame) {
  uint32_t cause, mepc;
  __asm__ volatile ("csrr %0, mcause" : "=r" (cause));
  __asm__ volatile ("csrr %0, mepc" : "=r" (mepc));
  if (cause != 11) {
    fake_kernel_print("fake-kernel: app fault, mcause ");
    fake_kernel_print_hex(cause);
    fake_kernel_print(" mepc ");
    fake_kernel_print_hex(mepc);
    fake_kernel_print("\n");
    arch_quit(0xFA);
  }
  struct syscall call = { frame->a4, { frame->a0, frame->a1, frame->a2, frame->a3 }, 0 };
  fake_kernel_syscall(&call);
  frame->a0 = call.r[0];
  frame->a1 = call.r[1];
  frame->a2 = call.r[2];
  frame->a3 = call.r[3];
  if (call.upcall_function != 0) {
    // The upcall returns to the instruction after the ecall.
    frame->ra = mepc + 4;
    __asm__ volatile ("csrw mepc, %0" : : "r" (call.upcall_function));
  } else {
    __asm__ volatile ("csrw mepc, %0" : : "r" (mepc + 4));
  }
}

void boot(void) {
  extern uint32_t _bss[], _ebss[];
  for (uint32_t* word = _bss; word < _ebss; word++) *word = 0;
  struct app_entry app = fake_kernel_app_entry();
  register uint32_t a0 __asm__ ("a0") = app.app_start;
  register uint32_t a1 __asm__ ("a1") = app.ram_start;
  register uint32_t a2 __asm__ ("a2") = app.ram_length;
  register uint32_t a3 __asm__ ("a3") = app.initial_break;
  __asm__ volatile ("jr %4" : : "r" (a0), "r" (a1), "r" (a2), "r" (a3), "r" (app.entry));
}
