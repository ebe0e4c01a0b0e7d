// The raw system calls: one trap per class, for RISC-V (ecall, class in a4)
// and Arm Cortex-M (svc, class as the immediate). Arguments go in the first
// four argument registers and come back in the same four (TRD104 section 4).
//
// Why yields clobber more than the other classes: the kernel runs an upcall
// by making the yield "return" into the upcall function, an ordinary C
// function that may use every caller-saved register before it returns to
// the instruction after the trap. Every other class only rewrites the four
// argument registers.

#include "tock.h"

#if defined(__riscv)

#define TOCK_TRAP(class_, in0, in1, in2, in3, out)                                 \
  do {                                                                             \
    register uint32_t a0 __asm__ ("a0") = (uint32_t)(in0);                         \
    register uint32_t a1 __asm__ ("a1") = (uint32_t)(in1);                         \
    register uint32_t a2 __asm__ ("a2") = (uint32_t)(in2);                         \
    register uint32_t a3 __asm__ ("a3") = (uint32_t)(in3);                         \
    __asm__ volatile ("li a4, %[class]\n ecall"                                    \
                      : "+r" (a0), "+r" (a1), "+r" (a2), "+r" (a3)                 \
                      : [class] "i" (class_)                                       \
                      : "memory", "a4");                                           \
    (out)[0] = a0; (out)[1] = a1; (out)[2] = a2; (out)[3] = a3;                    \
  } while (0)

#define TOCK_TRAP_YIELD(in0, in1, in2, out)                                        \
  do {                                                                             \
    register uint32_t a0 __asm__ ("a0") = (uint32_t)(in0);                         \
    register uint32_t a1 __asm__ ("a1") = (uint32_t)(in1);                         \
    register uint32_t a2 __asm__ ("a2") = (uint32_t)(in2);                         \
    __asm__ volatile ("li a4, %[class]\n ecall"                                    \
                      : "+r" (a0), "+r" (a1), "+r" (a2)                            \
                      : [class] "i" (TOCK_SYSCALL_CLASS_YIELD)                     \
                      : "memory", "a3", "a4", "a5", "a6", "a7", "t0", "t1", "t2",  \
                      "t3", "t4", "t5", "t6", "ra");                               \
    (out)[0] = a0; (out)[1] = a1; (out)[2] = a2;                                   \
  } while (0)

#elif defined(__thumb__)

#define TOCK_TRAP(class_, in0, in1, in2, in3, out)                                 \
  do {                                                                             \
    register uint32_t r0 __asm__ ("r0") = (uint32_t)(in0);                         \
    register uint32_t r1 __asm__ ("r1") = (uint32_t)(in1);                         \
    register uint32_t r2 __asm__ ("r2") = (uint32_t)(in2);                         \
    register uint32_t r3 __asm__ ("r3") = (uint32_t)(in3);                         \
    __asm__ volatile ("svc %[class]"                                               \
                      : "+r" (r0), "+r" (r1), "+r" (r2), "+r" (r3)                 \
                      : [class] "i" (class_)                                       \
                      : "memory");                                                 \
    (out)[0] = r0; (out)[1] = r1; (out)[2] = r2; (out)[3] = r3;                    \
  } while (0)

#define TOCK_TRAP_YIELD(in0, in1, in2, out)                                        \
  do {                                                                             \
    register uint32_t r0 __asm__ ("r0") = (uint32_t)(in0);                         \
    register uint32_t r1 __asm__ ("r1") = (uint32_t)(in1);                         \
    register uint32_t r2 __asm__ ("r2") = (uint32_t)(in2);                         \
    __asm__ volatile ("svc %[class]"                                               \
                      : "+r" (r0), "+r" (r1), "+r" (r2)                            \
                      : [class] "i" (TOCK_SYSCALL_CLASS_YIELD)                     \
                      : "memory", "r3", "r12", "lr");                              \
    (out)[0] = r0; (out)[1] = r1; (out)[2] = r2;                                   \
  } while (0)

#else
#error "libtock supports RISC-V (rv32) and Arm Cortex-M (thumb) only"
#endif

void yield(void) {
  uint32_t out[3];
  TOCK_TRAP_YIELD(TOCK_YIELD_WAIT, 0, 0, out);
  (void)out;
}

int yield_no_wait(void) {
  // The kernel writes 1 here if an upcall ran, 0 if none was pending.
  volatile uint8_t upcall_ran = 0;
  uint32_t out[3];
  TOCK_TRAP_YIELD(TOCK_YIELD_NO_WAIT, &upcall_ran, 0, out);
  (void)out;
  return upcall_ran;
}

yield_waitfor_return_t yield_wait_for(uint32_t driver, uint32_t subscribe_number) {
  uint32_t out[3];
  TOCK_TRAP_YIELD(TOCK_YIELD_WAIT_FOR, driver, subscribe_number, out);
  yield_waitfor_return_t result = { out[0], out[1], out[2] };
  return result;
}

subscribe_return_t subscribe(uint32_t driver, uint32_t subscribe_number,
                             subscribe_upcall callback, void* userdata) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_SUBSCRIBE, driver, subscribe_number, callback, userdata, out);
  subscribe_return_t result = { false, NULL, NULL, TOCK_STATUSCODE_FAIL };
  if (out[0] == TOCK_SYSCALL_SUCCESS_U32_U32) {
    result.success  = true;
    result.callback = (subscribe_upcall*)out[1];
    result.userdata = (void*)out[2];
    result.status   = TOCK_STATUSCODE_SUCCESS;
  } else if (out[0] == TOCK_SYSCALL_FAILURE_U32_U32) {
    result.callback = (subscribe_upcall*)out[2];
    result.userdata = (void*)out[3];
    result.status   = (statuscode_t)out[1];
  } else if (out[0] == TOCK_SYSCALL_FAILURE) {
    // A kernel that refuses the class altogether answers with a bare failure.
    result.status = (statuscode_t)out[1];
  }
  return result;
}

syscall_return_t command(uint32_t driver, uint32_t command_number, int arg1, int arg2) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_COMMAND, driver, command_number, arg1, arg2, out);
  syscall_return_t result = { (syscall_rtype_t)out[0], { out[1], out[2], out[3] } };
  return result;
}

// Read-write and userspace-readable allows answer the same way.
static allow_rw_return_t decode_allow_rw(const uint32_t out[4]) {
  allow_rw_return_t result = { false, NULL, 0, TOCK_STATUSCODE_FAIL };
  if (out[0] == TOCK_SYSCALL_SUCCESS_U32_U32) {
    result.success = true;
    result.ptr     = (void*)out[1];
    result.size    = out[2];
    result.status  = TOCK_STATUSCODE_SUCCESS;
  } else if (out[0] == TOCK_SYSCALL_FAILURE_U32_U32) {
    result.ptr    = (void*)out[2];
    result.size   = out[3];
    result.status = (statuscode_t)out[1];
  } else if (out[0] == TOCK_SYSCALL_FAILURE) {
    result.status = (statuscode_t)out[1];
  }
  return result;
}

allow_rw_return_t allow_readwrite(uint32_t driver, uint32_t allow_number, void* ptr, size_t size) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_READ_WRITE_ALLOW, driver, allow_number, ptr, size, out);
  return decode_allow_rw(out);
}

allow_userspace_r_return_t allow_userspace_read(uint32_t driver, uint32_t allow_number,
                                                void* ptr, size_t size) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_USERSPACE_READABLE_ALLOW, driver, allow_number, ptr, size, out);
  return decode_allow_rw(out);
}

allow_ro_return_t allow_readonly(uint32_t driver, uint32_t allow_number, const void* ptr, size_t size) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_READ_ONLY_ALLOW, driver, allow_number, ptr, size, out);
  allow_rw_return_t decoded = decode_allow_rw(out);
  allow_ro_return_t result  = { decoded.success, decoded.ptr, decoded.size, decoded.status };
  return result;
}

memop_return_t memop(uint32_t operation, int arg1) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_MEMOP, operation, arg1, 0, 0, out);
  memop_return_t result = { (syscall_rtype_t)out[0], out[1] };
  return result;
}

void tock_exit(uint32_t completion_code) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_EXIT, TOCK_EXIT_TERMINATE, completion_code, 0, 0, out);
  (void)out;
  // Exit never returns on a correct kernel; if one refuses it, stay put.
  while (true) {
    yield();
  }
}

void tock_restart(uint32_t completion_code) {
  uint32_t out[4];
  TOCK_TRAP(TOCK_SYSCALL_CLASS_EXIT, TOCK_EXIT_RESTART, completion_code, 0, 0, out);
  (void)out;
  // Exit never returns on a correct kernel; if one refuses it, stay put.
  while (true) {
    yield();
  }
}
