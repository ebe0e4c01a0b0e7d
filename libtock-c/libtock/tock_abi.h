// GENERATED from kernel/abi (crate kernel-abi) by
//   cargo run -p libtock-c-abi-header -- write
// Do not edit: `cargo xtask test libtock-c` fails when this file and
// kernel-abi differ.
#pragma once

// The highest kernel ABI version the library is written for.
#define TOCK_KERNEL_VERSION_MAJOR 2
#define TOCK_KERNEL_VERSION_MINOR 3

// System-call classes: a4 on RISC-V, the svc immediate on Arm.
typedef enum {
  TOCK_SYSCALL_CLASS_YIELD = 0,
  TOCK_SYSCALL_CLASS_SUBSCRIBE = 1,
  TOCK_SYSCALL_CLASS_COMMAND = 2,
  TOCK_SYSCALL_CLASS_READ_WRITE_ALLOW = 3,
  TOCK_SYSCALL_CLASS_READ_ONLY_ALLOW = 4,
  TOCK_SYSCALL_CLASS_MEMOP = 5,
  TOCK_SYSCALL_CLASS_EXIT = 6,
  TOCK_SYSCALL_CLASS_USERSPACE_READABLE_ALLOW = 7,
} syscall_class_t;

// Return variants: the first return register, saying how to read the rest.
typedef enum {
  TOCK_SYSCALL_FAILURE = 0,
  TOCK_SYSCALL_FAILURE_U32 = 1,
  TOCK_SYSCALL_FAILURE_U32_U32 = 2,
  TOCK_SYSCALL_FAILURE_U64 = 3,
  TOCK_SYSCALL_SUCCESS = 128,
  TOCK_SYSCALL_SUCCESS_U32 = 129,
  TOCK_SYSCALL_SUCCESS_U32_U32 = 130,
  TOCK_SYSCALL_SUCCESS_U64 = 131,
  TOCK_SYSCALL_SUCCESS_U32_U32_U32 = 132,
  TOCK_SYSCALL_SUCCESS_U32_U64 = 133,
} syscall_rtype_t;

// Yield kinds: the first argument of a yield.
typedef enum {
  TOCK_YIELD_NO_WAIT = 0,
  TOCK_YIELD_WAIT = 1,
  TOCK_YIELD_WAIT_FOR = 2,
} yield_kind_t;

// Memop operations: the first argument of a memop.
typedef enum {
  TOCK_MEMOP_BRK = 0,
  TOCK_MEMOP_SBRK = 1,
  TOCK_MEMOP_MEMORY_START = 2,
  TOCK_MEMOP_MEMORY_END = 3,
  TOCK_MEMOP_FLASH_START = 4,
  TOCK_MEMOP_FLASH_END = 5,
  TOCK_MEMOP_GRANT_START = 6,
  TOCK_MEMOP_WRITEABLE_FLASH_REGION_COUNT = 7,
  TOCK_MEMOP_WRITEABLE_FLASH_REGION_START = 8,
  TOCK_MEMOP_WRITEABLE_FLASH_REGION_END = 9,
  TOCK_MEMOP_STACK_TOP_HINT = 10,
  TOCK_MEMOP_HEAP_START_HINT = 11,
} memop_operation_t;

// Exit kinds: the first argument of an exit.
typedef enum {
  TOCK_EXIT_TERMINATE = 0,
  TOCK_EXIT_RESTART = 1,
} exit_kind_t;

// Status codes (TRD104 3.2): 0 is success, errors are positive; upcalls
// carry these.
typedef enum {
  TOCK_STATUSCODE_SUCCESS = 0,
  TOCK_STATUSCODE_FAIL = 1,
  TOCK_STATUSCODE_BUSY = 2,
  TOCK_STATUSCODE_ALREADY = 3,
  TOCK_STATUSCODE_OFF = 4,
  TOCK_STATUSCODE_RESERVE = 5,
  TOCK_STATUSCODE_INVAL = 6,
  TOCK_STATUSCODE_SIZE = 7,
  TOCK_STATUSCODE_CANCEL = 8,
  TOCK_STATUSCODE_NOMEM = 9,
  TOCK_STATUSCODE_NOSUPPORT = 10,
  TOCK_STATUSCODE_NODEVICE = 11,
  TOCK_STATUSCODE_UNINSTALLED = 12,
  TOCK_STATUSCODE_NOACK = 13,
} statuscode_t;

// Return codes: what libtock functions return, 0 or a negated error code.
typedef enum {
  RETURNCODE_SUCCESS = 0,
  RETURNCODE_FAIL = -1,
  RETURNCODE_EBUSY = -2,
  RETURNCODE_EALREADY = -3,
  RETURNCODE_EOFF = -4,
  RETURNCODE_ERESERVE = -5,
  RETURNCODE_EINVAL = -6,
  RETURNCODE_ESIZE = -7,
  RETURNCODE_ECANCEL = -8,
  RETURNCODE_ENOMEM = -9,
  RETURNCODE_ENOSUPPORT = -10,
  RETURNCODE_ENODEVICE = -11,
  RETURNCODE_EUNINSTALLED = -12,
  RETURNCODE_ENOACK = -13,
  RETURNCODE_EBADRVAL = -1024,
} returncode_t;

// Driver numbers (upstream Tock's); command 0 of each checks existence.
#define DRIVER_NUM_ALARM 0x0
#define DRIVER_NUM_CONSOLE 0x1
#define DRIVER_NUM_LED 0x2
#define DRIVER_NUM_BUTTON 0x3
#define DRIVER_NUM_GPIO 0x4
#define DRIVER_NUM_ADC 0x5
#define DRIVER_NUM_LOW_LEVEL_DEBUG 0x8
#define DRIVER_NUM_IPC 0x10000
#define DRIVER_NUM_APP_LOADER 0x10001
#define DRIVER_NUM_PROCESS_INFO 0x10002
#define DRIVER_NUM_EUI64 0x30006
#define DRIVER_NUM_RNG 0x40001
#define DRIVER_NUM_CRC 0x40002
#define DRIVER_NUM_HMAC 0x40003
#define DRIVER_NUM_CTAP 0x40004
#define DRIVER_NUM_SHA 0x40005
#define DRIVER_NUM_AES 0x40006
#define DRIVER_NUM_APP_STATE 0x50000
#define DRIVER_NUM_KV 0x50003
#define DRIVER_NUM_ISOLATED_NONVOLATILE_STORAGE 0x50004
#define DRIVER_NUM_USB_KEYBOARD_HID 0x90005
#define DRIVER_NUM_RTC 0x90007

