// crt0: the first code of every libtock-c process.
//
// The kernel enters `_start` with (TRD104, upstream's convention):
//   a0/r0 = app start: the crt0 header, first byte after the TBF header and
//           protected region;
//   a1/r1 = start of the process's RAM;  a2/r2 = RAM length;
//   a3/r3 = the initial break (RAM start on RISC-V; RAM start + 32 on Arm,
//           where the kernel keeps the first exception frame).
//
// Process RAM as crt0 lays it out (offsets from the crt0 header):
//
//   RAM start                                                  break
//   | stack (grows down) | .got | .data | .bss | heap (sbrk) ->  |
//   ^ mem_start          ^ stack top = mem_start + round16(stack_size)
//
// Steps: compute the stack top and the first break (end of .bss); move the
// break there with memop brk (before touching the stack if the break must
// grow first); tell the kernel the stack top and heap start (memop 10, 11);
// then, in C: check the build's fixed addresses, copy .got and .data, zero
// .bss and, in position-independent builds, apply the relocations.
//
// The header layout is upstream libtock-c's, so tools reading it work here.

#include <stdint.h>
#include <string.h>

#include <libtock/tock.h>

#include "crt0.h"

extern int main(void);

// Filled by the linker script (userland.ld) at the start of flash.
struct tock_crt0_header {
  uint32_t got_sym_start;   //  0: .got image in flash, from the header
  uint32_t got_start;       //  4: .got in RAM, from RAM start
  uint32_t got_size;        //  8
  uint32_t data_sym_start;  // 12: .data image in flash, from the header
  uint32_t data_start;      // 16: .data in RAM, from RAM start
  uint32_t data_size;       // 20
  uint32_t bss_start;       // 24: .bss in RAM, from RAM start
  uint32_t bss_size;        // 28
  uint32_t reldata_start;   // 32: relocation table (length word first)
  uint32_t stack_size;      // 36
};

// Linker-script symbols: where this image was linked to run.
extern const struct tock_crt0_header _tock_crt0_header;
extern char _sram_origin[];
extern char __tls_base[];

// picolibc's: points the thread pointer at the thread-local block (errno
// lives there).
void _set_tls(void* tls);

// The part of start-up written in C; runs on the final stack.
__attribute__((noreturn, used)) void _tock_c_start(uint32_t app_start, uint32_t mem_start);

// Flushes buffered stdout when main returns (defined by sys.c; weak, so a
// libc-free app links without it).
__attribute__((weak)) void libtock_stdio_flush(void);

// The entry point the TBF header names (the kernel jumps here).
void _start(void);

__attribute__((section(".start"), used, naked, noreturn))
void _start(void) {
#if defined(__riscv)
  // The header is found PC-relatively (lla), not through a0: it is where
  // this code runs, whichever of "app start" or "entry point" a kernel
  // passes in a0. _tock_c_start then checks it against the linked address.
  __asm__ volatile (
    "lla  t3, _tock_crt0_header\n"
    "lw   t0, 36(t3)\n"        // stack_size
    "addi t0, t0, 15\n"
    "add  t0, t0, a1\n"
    "andi t0, t0, -16\n"       // t0 = stack top, 16-byte aligned (RISC-V ABI)
    "lw   t1, 24(t3)\n"        // bss_start
    "lw   t2, 28(t3)\n"        // bss_size
    "add  t1, t1, t2\n"
    "add  t1, t1, a1\n"        // t1 = first break: end of .bss
    "mv   s0, t3\n"            // keep app start, RAM start, stack top
    "mv   s1, a1\n"
    "mv   s2, t0\n"
    "bgt  t1, a3, 1f\n"        // break must grow: the stack is not ours yet
    "mv   sp, t0\n"
    "1:\n"
    "li   a0, %[brk]\n"
    "mv   a1, t1\n"
    "li   a4, %[memop]\n"
    "ecall\n"
    "li   a0, %[stack_hint]\n"
    "mv   a1, s2\n"
    "li   a4, %[memop]\n"
    "ecall\n"
    "li   a0, %[heap_hint]\n"
    "mv   a1, t1\n"
    "li   a4, %[memop]\n"
    "ecall\n"
    "mv   sp, s2\n"
    "mv   a0, s0\n"
    "mv   a1, s1\n"
    "li   s0, 0\n"             // no frame above this one
    "j    _tock_c_start\n"
    :
    : [brk] "i" (TOCK_MEMOP_BRK), [stack_hint] "i" (TOCK_MEMOP_STACK_TOP_HINT),
      [heap_hint] "i" (TOCK_MEMOP_HEAP_START_HINT), [memop] "i" (TOCK_SYSCALL_CLASS_MEMOP)
    );
#elif defined(__thumb__)
  // Thumb-1 instructions only, so the same code runs on Cortex-M0.
  __asm__ volatile (
    ".syntax unified\n"
    "ldr  r4, [r0, #36]\n"     // stack_size
    "adds r4, r4, #7\n"
    "adds r4, r4, r1\n"
    "movs r5, #7\n"
    "bics r4, r5\n"            // r4 = stack top, 8-byte aligned (AAPCS)
    "ldr  r5, [r0, #24]\n"     // bss_start
    "ldr  r6, [r0, #28]\n"     // bss_size
    "adds r5, r5, r6\n"
    "adds r5, r5, r1\n"        // r5 = first break: end of .bss
    "movs r6, r0\n"            // keep app start and RAM start
    "movs r7, r1\n"
    "cmp  r5, r3\n"
    "bgt  1f\n"                // break must grow: the stack is not ours yet
    "mov  sp, r4\n"
    "1:\n"
    "movs r0, %[brk]\n"
    "movs r1, r5\n"
    "svc  %[memop]\n"
    "movs r0, %[stack_hint]\n"
    "movs r1, r4\n"
    "svc  %[memop]\n"
    "movs r0, %[heap_hint]\n"
    "movs r1, r5\n"
    "svc  %[memop]\n"
    "mov  sp, r4\n"
#if defined(TOCK_PIC)
    // r9 is the PIC base: the GOT's address in RAM.
    "ldr  r0, [r6, #4]\n"     // got_start
    "adds r0, r0, r7\n"
    "mov  r9, r0\n"
#endif
    "movs r0, r6\n"
    "movs r1, r7\n"
    "bl   _tock_c_start\n"
    "bkpt #255\n"
    :
    : [brk] "i" (TOCK_MEMOP_BRK), [stack_hint] "i" (TOCK_MEMOP_STACK_TOP_HINT),
      [heap_hint] "i" (TOCK_MEMOP_HEAP_START_HINT), [memop] "i" (TOCK_SYSCALL_CLASS_MEMOP)
    );
#else
#error "crt0 supports RISC-V (rv32) and Arm Cortex-M (thumb) only"
#endif
}

#if defined(TOCK_PIC)
// Position-independent build: the image was linked with flash at 0x80000000
// and RAM at 0; a word below 0x80000000 is a RAM offset, one at or above is a
// flash offset (upstream's sentinel).
static uint32_t relocate(uint32_t word, uint32_t app_start, uint32_t mem_start) {
  return (word & 0x80000000u) ? (word ^ 0x80000000u) + app_start : word + mem_start;
}

static void apply_relocations(const struct tock_crt0_header* header, uint32_t app_start,
                              uint32_t mem_start) {
  uint32_t* got = (uint32_t*)(mem_start + header->got_start);
  const uint32_t* got_image = (const uint32_t*)(app_start + header->got_sym_start);
  for (uint32_t i = 0; i < header->got_size / sizeof(uint32_t); i++) {
    got[i] = relocate(got_image[i], app_start, mem_start);
  }
  // .rel.data as elf2tab appends it: a byte length, then (offset, info)
  // pairs; each offset names a word in RAM holding an address to fix.
  const uint32_t* table = (const uint32_t*)(app_start + header->reldata_start);
  uint32_t words = table[0] / sizeof(uint32_t);
  for (uint32_t i = 0; i + 1 < words; i += 2) {
    uint32_t* target = (uint32_t*)(mem_start + table[1 + i]);
    *target = relocate(*target, app_start, mem_start);
  }
}
#endif

void _tock_c_start(uint32_t app_start, uint32_t mem_start) {
  const struct tock_crt0_header* header = (const struct tock_crt0_header*)app_start;
#if !defined(TOCK_PIC)
  // A fixed-address image runs only where it was linked. Stop with a code
  // that says which address is wrong, rather than run with broken pointers.
  if (app_start != (uint32_t)&_tock_crt0_header) {
    tock_exit(TOCK_CRT0_EXIT_WRONG_FLASH_ADDRESS);
  }
  if (mem_start != (uint32_t)_sram_origin) {
    tock_exit(TOCK_CRT0_EXIT_WRONG_RAM_ADDRESS);
  }
#endif
  memcpy((void*)(mem_start + header->got_start), (const void*)(app_start + header->got_sym_start),
         header->got_size);
  memcpy((void*)(mem_start + header->data_start),
         (const void*)(app_start + header->data_sym_start), header->data_size);
  memset((void*)(mem_start + header->bss_start), 0, header->bss_size);
#if defined(TOCK_PIC)
  apply_relocations(header, app_start, mem_start);
#else
  // picolibc's _set_tls stores an absolute address: fixed-address builds
  // only (position-independent apps cannot use Debian's picolibc).
  _set_tls((void*)(mem_start + ((uint32_t)__tls_base - (uint32_t)_sram_origin)));
#endif
  main();
  // Upstream's convention: returning from main leaves the app running its
  // upcalls forever. Apps that want to stop call exit().
  if (libtock_stdio_flush != NULL) {
    libtock_stdio_flush();
  }
  while (true) {
    yield();
  }
}
