// The fake kernel on mps2-an386 (Cortex-M4): boots from the vector table at
// 0, runs the app in privileged thread mode on the main stack (no
// isolation: a test fixture); every svc enters svc_handler, which reads the
// exception frame the CPU pushed. Also runs Cortex-M0 images (Thumb-1 is a
// subset of what the M4 executes).

#include <stdint.h>

#include "fake_kernel.h"

#define UART_DATA (*(volatile uint32_t*)0x40004000)
#define UART_CTRL (*(volatile uint32_t*)0x40004008)
#define UART_BAUDDIV (*(volatile uint32_t*)0x40004010)
#define CFSR (*(volatile uint32_t*)0xE000ED28)

extern uint32_t kernel_stack_top[];
void reset_handler(void);
void svc_handler(void);
void fault_handler(void);
void svc_dispatch(uint32_t* frame);
void fault_report(uint32_t* frame);

__attribute__((section(".vectors"), used)) const uint32_t vectors[16] = {
  (uint32_t)kernel_stack_top, (uint32_t)reset_handler, (uint32_t)fault_handler,
  (uint32_t)fault_handler, (uint32_t)fault_handler, (uint32_t)fault_handler,
  (uint32_t)fault_handler, 0, 0, 0, 0, (uint32_t)svc_handler, 0, 0,
  (uint32_t)fault_handler, (uint32_t)fault_handler,
};

void arch_uart_put(char character) {
  UART_DATA = (uint8_t)character;
}

void arch_quit(uint32_t code) {
  // Semihosting SYS_EXIT_EXTENDED: QEMU exits with `code`.
  uint32_t block[2] = { 0x20026, code };
  register uint32_t operation __asm__ ("r0") = 0x20;
  register uint32_t* argument __asm__ ("r1") = block;
  __asm__ volatile ("bkpt 0xab" : : "r" (operation), "r" (argument) : "memory");
  while (1) {
  }
}

// Exception frame: r0, r1, r2, r3, r12, lr, pc, xpsr.
void svc_dispatch(uint32_t* frame) {
  uint32_t class = ((const uint16_t*)frame[6])[-1] & 0xFF;
  struct syscall call = { class, { frame[0], frame[1], frame[2], frame[3] }, 0 };
  fake_kernel_syscall(&call);
  for (int i = 0; i < 4; i++) frame[i] = call.r[i];
  if (call.upcall_function != 0) {
    // The upcall returns (bx lr) to the instruction after the svc.
    frame[5] = frame[6] | 1u;
    frame[6] = call.upcall_function & ~1u;
  }
}

void fault_report(uint32_t* frame) {
  fake_kernel_print("fake-kernel: app fault, CFSR ");
  fake_kernel_print_hex(CFSR);
  fake_kernel_print(" pc ");
  fake_kernel_print_hex(frame[6]);
  fake_kernel_print("\n");
  arch_quit(0xFA);
}

__attribute__((naked)) void svc_handler(void) {
  __asm__ volatile (
    "tst   lr, #4\n"
    "ite   eq\n"
    "mrseq r0, msp\n"
    "mrsne r0, psp\n"
    "push  {r4, lr}\n"
    "bl    svc_dispatch\n"
    "pop   {r4, pc}\n");
}

__attribute__((naked)) void fault_handler(void) {
  __asm__ volatile (
    "tst   lr, #4\n"
    "ite   eq\n"
    "mrseq r0, msp\n"
    "mrsne r0, psp\n"
    "b     fault_report\n");
}

void reset_handler(void) {
  extern uint32_t _bss[], _ebss[];
  for (uint32_t* word = _bss; word < _ebss; word++) *word = 0;
  UART_BAUDDIV = 16;
  UART_CTRL = 1;
  struct app_entry app = fake_kernel_app_entry();
  register uint32_t r0 __asm__ ("r0") = app.app_start;
  register uint32_t r1 __asm__ ("r1") = app.ram_start;
  register uint32_t r2 __asm__ ("r2") = app.ram_length;
  register uint32_t r3 __asm__ ("r3") = app.initial_break;
  __asm__ volatile ("bx %4" : : "r" (r0), "r" (r1), "r" (r2), "r" (r3), "r" (app.entry | 1u));
  while (1) {
  }
}
