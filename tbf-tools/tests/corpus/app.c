/* A small freestanding Tock-style app used as packager test input.
 * Built with and without initialised data (NO_DATA) for RISC-V (fixed address)
 * and ARM (r9-relative position-independent code). It never runs: only its
 * ELF layout matters. */
#include <stdint.h>

#ifndef NO_DATA
static uint32_t first = 1;
static uint32_t second = 2;
/* Pointers in initialised data: on ARM PIC these need load-time fix-ups, so
 * the linker keeps them in .rel.data (with --emit-relocs). */
uint32_t *table[] = {&first, &second};
const char *greeting = "hello from the corpus";
uint32_t zeroed[32];
#endif

const uint32_t constants[4] = {0xdeadbeef, 0xcafef00d, 42, 7};

#ifdef FILLER_BYTES
/* Read-only bulk to make an app of a given size (the packager benchmark). */
const uint8_t filler[FILLER_BYTES] = {1, 2, 3};
#endif

__attribute__((noinline)) static uint32_t mix(uint32_t a, uint32_t b) {
  return (a * 31u) ^ (b + 0x9e3779b9u);
}

__attribute__((section(".text._start"), noreturn)) void _start(void) {
  uint32_t acc = constants[0];
#ifndef NO_DATA
  for (int i = 0; i < 2; i++) {
    acc = mix(acc, *table[i]);
    zeroed[i] = acc;
  }
  acc = mix(acc, (uint32_t)greeting[0]);
#endif
#ifdef FILLER_BYTES
  acc = mix(acc, filler[acc % FILLER_BYTES]);
#endif
  for (;;) {
    acc = mix(acc, constants[acc & 3]);
    *(volatile uint32_t *)&acc;
  }
}
