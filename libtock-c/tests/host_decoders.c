// Host test of libtock's result decoders (tock.c): every return variant
// through every converter, built with the host compiler against a fake
// system-call layer. Run by `cargo xtask test libtock-c`; prints one line
// per failed check and "host_decoders: N checks, M failed"; exits M != 0.
#include <stdio.h>
#include <string.h>

#include <libtock/tock.h>

static int checks = 0;
static int failures = 0;

#define CHECK(condition)                                                   \
  do {                                                                     \
    checks++;                                                              \
    if (!(condition)) {                                                    \
      failures++;                                                          \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #condition);          \
    }                                                                      \
  } while (0)

// --- The fake kernel: answers command 0 with a configurable variant. ------
static syscall_return_t next_command;

syscall_return_t command(uint32_t driver, uint32_t command_number, int arg1, int arg2) {
  (void)driver;
  (void)command_number;
  (void)arg1;
  (void)arg2;
  return next_command;
}

subscribe_return_t subscribe(uint32_t driver, uint32_t subscribe_number,
                             subscribe_upcall callback, void* userdata) {
  (void)driver;
  (void)subscribe_number;
  subscribe_return_t ret = { callback == NULL, NULL, userdata, TOCK_STATUSCODE_INVAL };
  return ret;
}

allow_rw_return_t allow_readwrite(uint32_t driver, uint32_t allow_number, void* ptr, size_t size) {
  (void)driver;
  (void)allow_number;
  allow_rw_return_t ret = { true, ptr, size, TOCK_STATUSCODE_SUCCESS };
  return ret;
}

allow_ro_return_t allow_readonly(uint32_t driver, uint32_t allow_number, const void* ptr,
                                 size_t size) {
  (void)driver;
  (void)allow_number;
  allow_ro_return_t ret = { false, ptr, size, TOCK_STATUSCODE_NODEVICE };
  return ret;
}

memop_return_t memop(uint32_t operation, int arg1) {
  (void)arg1;
  memop_return_t ret = { operation == TOCK_MEMOP_MEMORY_START ? TOCK_SYSCALL_SUCCESS_U32
                                                              : TOCK_SYSCALL_FAILURE, 0x1000 };
  return ret;
}

void yield(void) {}

static syscall_return_t variant(syscall_rtype_t type, uint32_t a, uint32_t b, uint32_t c) {
  syscall_return_t ret = { type, { a, b, c } };
  return ret;
}

static void every_variant_through_every_converter(void) {
  static const syscall_rtype_t all[] = {
    TOCK_SYSCALL_FAILURE, TOCK_SYSCALL_FAILURE_U32, TOCK_SYSCALL_FAILURE_U32_U32,
    TOCK_SYSCALL_FAILURE_U64, TOCK_SYSCALL_SUCCESS, TOCK_SYSCALL_SUCCESS_U32,
    TOCK_SYSCALL_SUCCESS_U32_U32, TOCK_SYSCALL_SUCCESS_U64, TOCK_SYSCALL_SUCCESS_U32_U32_U32,
    TOCK_SYSCALL_SUCCESS_U32_U64,
  };
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    syscall_return_t ret = variant(all[i], TOCK_STATUSCODE_BUSY, 0x11111111u, 0x22222222u);
    uint32_t first = 0, second = 0;
    uint64_t wide = 0;
    returncode_t novalue = tock_command_return_novalue_to_returncode(ret);
    returncode_t u32     = tock_command_return_u32_to_returncode(ret, &first);
    returncode_t u32u32  = tock_command_return_u32_u32_to_returncode(ret, &first, &second);
    returncode_t u64     = tock_command_return_u64_to_returncode(ret, &wide);
    if (all[i] == TOCK_SYSCALL_FAILURE) {
      // A failure is the negated error code whatever value was expected.
      CHECK(novalue == RETURNCODE_EBUSY && u32 == RETURNCODE_EBUSY);
      CHECK(u32u32 == RETURNCODE_EBUSY && u64 == RETURNCODE_EBUSY);
      continue;
    }
    CHECK(novalue == (all[i] == TOCK_SYSCALL_SUCCESS ? RETURNCODE_SUCCESS : RETURNCODE_EBADRVAL));
    CHECK(u32 == (all[i] == TOCK_SYSCALL_SUCCESS_U32 ? RETURNCODE_SUCCESS : RETURNCODE_EBADRVAL));
    CHECK(u32u32 ==
          (all[i] == TOCK_SYSCALL_SUCCESS_U32_U32 ? RETURNCODE_SUCCESS : RETURNCODE_EBADRVAL));
    CHECK(u64 == (all[i] == TOCK_SYSCALL_SUCCESS_U64 ? RETURNCODE_SUCCESS : RETURNCODE_EBADRVAL));
  }
}

static void values_are_decoded(void) {
  uint32_t value = 0, second = 0;
  uint64_t wide = 0;
  CHECK(tock_command_return_u32_to_returncode(variant(TOCK_SYSCALL_SUCCESS_U32, 42, 0, 0),
                                              &value) == RETURNCODE_SUCCESS && value == 42);
  CHECK(tock_command_return_u32_u32_to_returncode(
          variant(TOCK_SYSCALL_SUCCESS_U32_U32, 7, 9, 0), &value, &second) == RETURNCODE_SUCCESS);
  CHECK(value == 7 && second == 9);
  CHECK(tock_command_return_u64_to_returncode(
          variant(TOCK_SYSCALL_SUCCESS_U64, 0x89abcdefu, 0x01234567u, 0), &wide) ==
        RETURNCODE_SUCCESS);
  CHECK(wide == 0x0123456789abcdefull);
}

static void status_and_names(void) {
  CHECK(tock_status_to_returncode(TOCK_STATUSCODE_SUCCESS) == RETURNCODE_SUCCESS);
  CHECK(tock_status_to_returncode(TOCK_STATUSCODE_NODEVICE) == RETURNCODE_ENODEVICE);
  CHECK(strcmp(tock_strrcode(RETURNCODE_ENODEVICE), "ENODEVICE") == 0);
  CHECK(strcmp(tock_strrcode(RETURNCODE_FAIL), "FAIL") == 0);
  CHECK(strcmp(tock_strrcode(RETURNCODE_ENOACK), "ENOACK") == 0);
  CHECK(strcmp(tock_strrcode(RETURNCODE_EBADRVAL), "EBADRVAL") == 0);
  CHECK(strcmp(tock_strrcode((returncode_t)-14), "EUNKNOWN") == 0);
  CHECK(sizeof(returncode_t) == sizeof(int));
}

static void helpers(void) {
  next_command = variant(TOCK_SYSCALL_SUCCESS_U32, 3, 0, 0);
  CHECK(driver_exists(1));
  next_command = variant(TOCK_SYSCALL_SUCCESS, 0, 0, 0);
  CHECK(driver_exists(1));
  next_command = variant(TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NODEVICE, 0, 0);
  CHECK(!driver_exists(0xDEAD0));
  CHECK(tock_unsubscribe(1, 0) == RETURNCODE_SUCCESS);
  CHECK(tock_unallow_readonly(1, 0) == RETURNCODE_ENODEVICE);
  CHECK(tock_memory_start() == (void*)0x1000);
  CHECK(tock_flash_start() == NULL);
}

int main(void) {
  every_variant_through_every_converter();
  values_are_decoded();
  status_and_names();
  helpers();
  printf("host_decoders: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}
