// Conversions from raw system-call results to returncode_t, and the small
// helpers built on the classes (driver_exists, unsubscribe, memop queries).

#include "tock.h"

returncode_t tock_status_to_returncode(statuscode_t status) {
  // Return codes are the negated status codes; success is 0 in both.
  return (returncode_t)(-(int)status);
}

returncode_t tock_command_return_novalue_to_returncode(syscall_return_t ret) {
  if (ret.type == TOCK_SYSCALL_SUCCESS) {
    return RETURNCODE_SUCCESS;
  }
  if (ret.type == TOCK_SYSCALL_FAILURE) {
    return tock_status_to_returncode((statuscode_t)ret.data[0]);
  }
  return RETURNCODE_EBADRVAL;
}

returncode_t tock_command_return_u32_to_returncode(syscall_return_t ret, uint32_t* value) {
  if (ret.type == TOCK_SYSCALL_SUCCESS_U32) {
    *value = ret.data[0];
    return RETURNCODE_SUCCESS;
  }
  if (ret.type == TOCK_SYSCALL_FAILURE) {
    return tock_status_to_returncode((statuscode_t)ret.data[0]);
  }
  return RETURNCODE_EBADRVAL;
}

returncode_t tock_command_return_u32_u32_to_returncode(syscall_return_t ret, uint32_t* first,
                                                       uint32_t* second) {
  if (ret.type == TOCK_SYSCALL_SUCCESS_U32_U32) {
    *first  = ret.data[0];
    *second = ret.data[1];
    return RETURNCODE_SUCCESS;
  }
  if (ret.type == TOCK_SYSCALL_FAILURE) {
    return tock_status_to_returncode((statuscode_t)ret.data[0]);
  }
  return RETURNCODE_EBADRVAL;
}

returncode_t tock_command_return_u64_to_returncode(syscall_return_t ret, uint64_t* value) {
  if (ret.type == TOCK_SYSCALL_SUCCESS_U64) {
    *value = ((uint64_t)ret.data[1] << 32) | ret.data[0];
    return RETURNCODE_SUCCESS;
  }
  if (ret.type == TOCK_SYSCALL_FAILURE) {
    return tock_status_to_returncode((statuscode_t)ret.data[0]);
  }
  return RETURNCODE_EBADRVAL;
}

returncode_t tock_subscribe_return_to_returncode(subscribe_return_t ret) {
  return ret.success ? RETURNCODE_SUCCESS : tock_status_to_returncode(ret.status);
}

returncode_t tock_allow_rw_return_to_returncode(allow_rw_return_t ret) {
  return ret.success ? RETURNCODE_SUCCESS : tock_status_to_returncode(ret.status);
}

returncode_t tock_allow_ro_return_to_returncode(allow_ro_return_t ret) {
  return ret.success ? RETURNCODE_SUCCESS : tock_status_to_returncode(ret.status);
}

returncode_t tock_allow_userspace_r_return_to_returncode(allow_userspace_r_return_t ret) {
  return ret.success ? RETURNCODE_SUCCESS : tock_status_to_returncode(ret.status);
}

const char* tock_strrcode(returncode_t code) {
  // Indexed by the negated code; kernel codes are 1..13 (tock_abi.h).
  static const char* const names[] = {
    "SUCCESS", "FAIL", "EBUSY", "EALREADY", "EOFF", "ERESERVE", "EINVAL", "ESIZE",
    "ECANCEL", "ENOMEM", "ENOSUPPORT", "ENODEVICE", "EUNINSTALLED", "ENOACK",
  };
  int index = -(int)code;
  if (code == RETURNCODE_EBADRVAL) {
    return "EBADRVAL";
  }
  if (index >= 0 && index < (int)(sizeof(names) / sizeof(names[0]))) {
    return names[index];
  }
  return "EUNKNOWN";
}

void yield_for(bool* cond) {
  while (!*cond) {
    yield();
  }
}

bool driver_exists(uint32_t driver) {
  syscall_return_t ret = command(driver, 0, 0, 0);
  // Upstream capsules answer command 0 with Success or SuccessU32 (a count).
  return ret.type >= TOCK_SYSCALL_SUCCESS;
}

returncode_t tock_unsubscribe(uint32_t driver, uint32_t subscribe_number) {
  return tock_subscribe_return_to_returncode(subscribe(driver, subscribe_number, NULL, NULL));
}

returncode_t tock_unallow_readonly(uint32_t driver, uint32_t allow_number) {
  return tock_allow_ro_return_to_returncode(allow_readonly(driver, allow_number, NULL, 0));
}

returncode_t tock_unallow_readwrite(uint32_t driver, uint32_t allow_number) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(driver, allow_number, NULL, 0));
}

static void* memop_address(memop_operation_t operation) {
  memop_return_t ret = memop(operation, 0);
  return ret.type == TOCK_SYSCALL_SUCCESS_U32 ? (void*)(uintptr_t)ret.data : NULL;
}

void* tock_memory_start(void) {
  return memop_address(TOCK_MEMOP_MEMORY_START);
}

void* tock_memory_end(void) {
  return memop_address(TOCK_MEMOP_MEMORY_END);
}

void* tock_flash_start(void) {
  return memop_address(TOCK_MEMOP_FLASH_START);
}

void* tock_flash_end(void) {
  return memop_address(TOCK_MEMOP_FLASH_END);
}
