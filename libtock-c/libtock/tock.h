// libtock: the system-call layer of the C userspace library.
//
// Every call a C app makes into the kernel goes through the functions here.
// The numbers (classes, return variants, error codes, driver numbers) come
// from tock_abi.h, which is generated from the kernel's `kernel-abi` crate
// and checked against it by `cargo xtask test libtock-c`.
//
// Guarantees:
// - Same ABI and calling conventions as upstream libtock-c (TRD104), so apps
//   built with this library run on upstream Tock and the reverse.
// - A call to a driver the kernel does not have returns a negative
//   returncode_t (RETURNCODE_ENODEVICE), never hangs and never faults.
// - A return variant a wrapper does not expect becomes RETURNCODE_EBADRVAL.
//
// Must never: block inside a wrapper except in the yield functions, or touch
// memory the app did not hand it.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tock_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

// RETURNCODE_EBADRVAL (tock_abi.h): what a wrapper returns when the kernel
// answered with a return variant the wrapper did not expect.

// The type of an upcall function: three arguments from the kernel, and the
// opaque pointer given at subscribe.
typedef void (subscribe_upcall)(int, int, int, void*);

// The raw result of a command: the variant and up to three values.
typedef struct {
  syscall_rtype_t type;
  uint32_t data[3];
} syscall_return_t;

// The result of a subscribe: on success the previous upcall and its opaque
// pointer; on failure the error and the upcall that was passed.
typedef struct {
  bool success;
  subscribe_upcall* callback;
  void* userdata;
  statuscode_t status;
} subscribe_return_t;

// The result of a read-write or userspace-readable allow: the previous
// buffer on success, the buffer passed on failure.
typedef struct {
  bool success;
  void* ptr;
  size_t size;
  statuscode_t status;
} allow_rw_return_t;

typedef allow_rw_return_t allow_userspace_r_return_t;

// The result of a read-only allow.
typedef struct {
  bool success;
  const void* ptr;
  size_t size;
  statuscode_t status;
} allow_ro_return_t;

// The result of a memop: a variant and one value.
typedef struct {
  syscall_rtype_t type;
  uint32_t data;
} memop_return_t;

// The three upcall arguments yield-wait-for returns instead of calling the
// upcall.
typedef struct {
  uint32_t data0;
  uint32_t data1;
  uint32_t data2;
} yield_waitfor_return_t;

// --- The eight system-call classes ------------------------------------------

// Yield-wait: block until one upcall has run.
void yield(void);
// Yield-no-wait: run one pending upcall if there is one. Returns 1 if an
// upcall ran, 0 if none was pending.
int yield_no_wait(void);
// Yield-wait-for: block until the upcall (driver, subscribe_number) would
// run, and return its arguments without calling it.
yield_waitfor_return_t yield_wait_for(uint32_t driver, uint32_t subscribe_number);
// Yields until *cond becomes true (set by an upcall).
void yield_for(bool* cond);

subscribe_return_t subscribe(uint32_t driver, uint32_t subscribe_number,
                             subscribe_upcall callback, void* userdata);
syscall_return_t command(uint32_t driver, uint32_t command_number, int arg1, int arg2);
allow_rw_return_t allow_readwrite(uint32_t driver, uint32_t allow_number, void* ptr, size_t size);
allow_ro_return_t allow_readonly(uint32_t driver, uint32_t allow_number, const void* ptr, size_t size);
allow_userspace_r_return_t allow_userspace_read(uint32_t driver, uint32_t allow_number,
                                                void* ptr, size_t size);
memop_return_t memop(uint32_t operation, int arg1);
__attribute__((noreturn)) void tock_exit(uint32_t completion_code);
__attribute__((noreturn)) void tock_restart(uint32_t completion_code);

// --- Conversions to returncode_t --------------------------------------------

// Success (0) or the negated error code.
returncode_t tock_status_to_returncode(statuscode_t status);
returncode_t tock_command_return_novalue_to_returncode(syscall_return_t ret);
returncode_t tock_command_return_u32_to_returncode(syscall_return_t ret, uint32_t* value);
returncode_t tock_command_return_u32_u32_to_returncode(syscall_return_t ret, uint32_t* first,
                                                       uint32_t* second);
returncode_t tock_command_return_u64_to_returncode(syscall_return_t ret, uint64_t* value);
returncode_t tock_subscribe_return_to_returncode(subscribe_return_t ret);
returncode_t tock_allow_rw_return_to_returncode(allow_rw_return_t ret);
returncode_t tock_allow_ro_return_to_returncode(allow_ro_return_t ret);
returncode_t tock_allow_userspace_r_return_to_returncode(allow_userspace_r_return_t ret);
// A short upper-case name for a returncode ("SUCCESS", "ENODEVICE", ...).
const char* tock_strrcode(returncode_t code);

// --- Small helpers on top of the classes -------------------------------------

// Command 0: whether the kernel has `driver`.
bool driver_exists(uint32_t driver);
// Unsubscribes and unallows in one call (the null upcall / empty buffer).
returncode_t tock_unsubscribe(uint32_t driver, uint32_t subscribe_number);
returncode_t tock_unallow_readonly(uint32_t driver, uint32_t allow_number);
returncode_t tock_unallow_readwrite(uint32_t driver, uint32_t allow_number);

// Memop helpers: the process's memory layout as the kernel sees it.
void* tock_memory_start(void);
void* tock_memory_end(void);
void* tock_flash_start(void);
void* tock_flash_end(void);

#ifdef __cplusplus
}
#endif
