// The fake kernel's shared part and the hooks each architecture provides.
// A test fixture for libtock-c, never a kernel: see fake_kernel.c.
#pragma once

#include <stdint.h>

// Set by the build (-D): where the app's TBF starts and its RAM slot.
#ifndef APP_FLASH
#error "define APP_FLASH (the TBF's address) and APP_RAM (the RAM slot)"
#endif
#define APP_RAM_LENGTH 0x10000u
#define APP_FLASH_LENGTH 0x10000u

// One system call: the class and four argument registers in; the four
// return registers out, or an upcall to run instead of returning (then
// r[0..3] are its arguments).
struct syscall {
  uint32_t class;
  uint32_t r[4];
  uint32_t upcall_function;
};

// Where to enter the app, with upstream's registers.
struct app_entry {
  uint32_t entry, app_start, ram_start, ram_length, initial_break;
};

void fake_kernel_syscall(struct syscall* call);
// Parses the TBF at APP_FLASH; stops QEMU if there is none.
struct app_entry fake_kernel_app_entry(void);
void fake_kernel_print(const char* text);
void fake_kernel_print_hex(uint32_t value);

// Provided by the architecture.
void arch_uart_put(char character);
__attribute__((noreturn)) void arch_quit(uint32_t code);

// The compiler may call these for struct copies and loops; no libc here.
void* memcpy(void* destination, const void* source, unsigned int length);
void* memset(void* destination, int value, unsigned int length);
