// syscall_conformance: exercises every system-call class against the
// kernel and checks each answer's return variant and values.
//
// One line per check: "conformance: <check> ok" or
// "conformance: <check> FAIL <what>", then the machine-checkable summary
//   "conformance: result passed=<n> failed=<m>"
// and exit(<m>). Covered: yield (no-wait, wait, wait-for), subscribe,
// command, read-write / read-only / userspace-readable allow, memop
// (success and failure), exit; return variants Success, SuccessU32,
// SuccessU32U32, Failure and FailureU32U32 as the standard drivers produce
// them, each leaving the registers its variant does not use as passed;
// missing drivers; malloc over the break; the process-info driver
// finding this process by name (or answering ENODEVICE where absent). Restart is not exercised
// here (it would rerun this app); the variants no standard driver returns
// are covered by the host test of libtock's decoders.
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <libtock/alarm.h>
#include <libtock/console.h>
#include <libtock/process_info.h>
#include <libtock/tock.h>

// No driver has this number (upstream and ours).
#define MISSING_DRIVER 0xDEAD0u

static int passed = 0;
static int failed = 0;

static void expect(const char* check, bool ok, const char* what) {
  if (ok) {
    passed++;
    printf("conformance: %s ok\n", check);
  } else {
    failed++;
    printf("conformance: %s FAIL %s\n", check, what);
  }
}

static void upcall_a(int arg0, int arg1, int arg2, void* opaque) {
  (void)arg0;
  (void)arg1;
  (void)arg2;
  *(volatile int*)opaque += 1;
}

static void upcall_b(int arg0, int arg1, int arg2, void* opaque) {
  (void)arg0;
  (void)arg1;
  (void)arg2;
  *(volatile int*)opaque += 100;
}

static void check_command(void) {
  syscall_return_t ret = command(DRIVER_NUM_CONSOLE, 0, 0, 0);
  expect("command-success", ret.type == TOCK_SYSCALL_SUCCESS, "console command 0 not Success");

  uint32_t frequency = 0;
  ret = command(DRIVER_NUM_ALARM, 1, 0, 0);
  expect("command-success-u32",
         tock_command_return_u32_to_returncode(ret, &frequency) == RETURNCODE_SUCCESS &&
         frequency > 0, "alarm frequency not SuccessU32 > 0");

  ret = command(MISSING_DRIVER, 0, 0, 0);
  expect("command-missing-driver",
         ret.type == TOCK_SYSCALL_FAILURE && ret.data[0] == TOCK_STATUSCODE_NODEVICE &&
         tock_command_return_novalue_to_returncode(ret) == RETURNCODE_ENODEVICE,
         "not Failure NODEVICE");
  expect("driver-exists", driver_exists(DRIVER_NUM_CONSOLE) && !driver_exists(MISSING_DRIVER),
         "driver_exists wrong");

  ret = command(DRIVER_NUM_ALARM, 99, 0, 0);
  expect("command-unknown-number",
         ret.type == TOCK_SYSCALL_FAILURE && ret.data[0] == TOCK_STATUSCODE_NOSUPPORT,
         "not Failure NOSUPPORT");
}

// A return writes only its variant's registers; the others keep what the
// app passed (upstream's kernel does, and upstream libtock-rs keeps live
// values there). The command arguments are the sentinels.
#define SENTINEL_2 0x5e172222
#define SENTINEL_3 0x5e173333

static void check_untouched_registers(void) {
  syscall_return_t ret = command(DRIVER_NUM_CONSOLE, 0, SENTINEL_2, SENTINEL_3);
  expect("success-keeps-r1-r3",
         ret.type == TOCK_SYSCALL_SUCCESS && ret.data[0] == 0 && ret.data[1] == SENTINEL_2 &&
         ret.data[2] == SENTINEL_3, "Success changed a register it does not use");

  ret = command(DRIVER_NUM_ALARM, 1, SENTINEL_2, SENTINEL_3);
  expect("success-u32-keeps-r2-r3",
         ret.type == TOCK_SYSCALL_SUCCESS_U32 && ret.data[1] == SENTINEL_2 &&
         ret.data[2] == SENTINEL_3, "SuccessU32 changed a register it does not use");

  ret = command(MISSING_DRIVER, 7, SENTINEL_2, SENTINEL_3);
  expect("failure-keeps-r2-r3",
         ret.type == TOCK_SYSCALL_FAILURE && ret.data[0] == TOCK_STATUSCODE_NODEVICE &&
         ret.data[1] == SENTINEL_2 && ret.data[2] == SENTINEL_3,
         "Failure changed a register it does not use");
}

static void check_subscribe(void) {
  static volatile int counter = 0;
  subscribe_return_t ret = subscribe(DRIVER_NUM_ALARM, 0, upcall_a, (void*)&counter);
  expect("subscribe-success", ret.success, "subscribe failed");
  ret = subscribe(DRIVER_NUM_ALARM, 0, upcall_b, NULL);
  expect("subscribe-returns-previous",
         ret.success && ret.callback == upcall_a && ret.userdata == (void*)&counter,
         "previous upcall not returned");
  ret = subscribe(MISSING_DRIVER, 0, upcall_a, (void*)&counter);
  expect("subscribe-missing-driver",
         !ret.success && ret.status == TOCK_STATUSCODE_NODEVICE && ret.callback == upcall_a,
         "not FailureU32U32 NODEVICE with the passed upcall");
  tock_unsubscribe(DRIVER_NUM_ALARM, 0);
}

static void check_allow(void) {
  static uint8_t buffer[8];
  allow_rw_return_t rw = allow_readwrite(DRIVER_NUM_CONSOLE, 1, buffer, sizeof(buffer));
  expect("allow-rw-success", rw.success, "allow failed");
  rw = allow_readwrite(DRIVER_NUM_CONSOLE, 1, NULL, 0);
  expect("allow-rw-returns-previous", rw.success && rw.ptr == buffer && rw.size == sizeof(buffer),
         "previous buffer not returned");
  rw = allow_readwrite(DRIVER_NUM_CONSOLE, 1, (void*)0x100, 16);
  expect("allow-rw-outside-memory",
         !rw.success && rw.status == TOCK_STATUSCODE_INVAL && rw.ptr == (void*)0x100 &&
         rw.size == 16, "not FailureU32U32 INVAL with the passed buffer");

  static const char message[] = "flash";
  allow_ro_return_t ro = allow_readonly(DRIVER_NUM_CONSOLE, 1, message, sizeof(message));
  expect("allow-ro-success", ro.success, "read-only allow of flash failed");
  tock_unallow_readonly(DRIVER_NUM_CONSOLE, 1);
  ro = allow_readonly(MISSING_DRIVER, 0, message, sizeof(message));
  expect("allow-ro-missing-driver", !ro.success && ro.status == TOCK_STATUSCODE_NODEVICE,
         "not NODEVICE");
  allow_userspace_r_return_t ur = allow_userspace_read(MISSING_DRIVER, 0, buffer, sizeof(buffer));
  expect("allow-userspace-readable-missing-driver",
         !ur.success && ur.status == TOCK_STATUSCODE_NODEVICE, "not NODEVICE");
}

static void check_memop(void) {
  extern char _sram_origin[];
  memop_return_t ret = memop(TOCK_MEMOP_MEMORY_START, 0);
  expect("memop-memory-start", ret.type == TOCK_SYSCALL_SUCCESS_U32 &&
         ret.data == (uint32_t)_sram_origin, "not SuccessU32 with the RAM start");
  ret = memop(TOCK_MEMOP_FLASH_START, 0);
  expect("memop-flash-start", ret.type == TOCK_SYSCALL_SUCCESS_U32 &&
         ret.data < (uint32_t)&check_memop, "flash start not below the code");
  ret = memop(TOCK_MEMOP_WRITEABLE_FLASH_REGION_START, 0);
  expect("memop-failure", ret.type == TOCK_SYSCALL_FAILURE,
         "region 0 of an app without writeable flash did not fail");

  void* small = malloc(64);
  expect("malloc-small", small != NULL, "malloc(64) returned NULL");
  free(small);
  void* huge = malloc(16u * 1024u * 1024u);
  expect("malloc-too-big-returns-null", huge == NULL, "malloc(16 MiB) did not return NULL");
}

static void check_yield(void) {
  expect("yield-no-wait-nothing-pending", yield_no_wait() == 0, "reported an upcall");

  // yield-wait-for returns the upcall's arguments: (now, expiration).
  uint32_t expiration = 0;
  static volatile int unused_counter = 0;
  subscribe(DRIVER_NUM_ALARM, 0, upcall_a, (void*)&unused_counter);
  returncode_t ret = libtock_alarm_command_set_relative(100, &expiration);
  yield_waitfor_return_t fired = yield_wait_for(DRIVER_NUM_ALARM, 0);
  expect("yield-wait-for", ret == RETURNCODE_SUCCESS && fired.data1 == expiration,
         "did not return the alarm's expiration");

  // yield-wait runs the upcall itself.
  static volatile int counter = 0;
  subscribe(DRIVER_NUM_ALARM, 0, upcall_a, (void*)&counter);
  libtock_alarm_command_set_relative(100, &expiration);
  while (counter == 0) {
    yield();
  }
  expect("yield-wait", counter == 1, "upcall ran a wrong number of times");

  // yield-no-wait runs a pending upcall and says so.
  libtock_alarm_command_set_relative(10, &expiration);
  uint32_t now = 0;
  do {
    libtock_alarm_command_read(&now);
  } while ((int32_t)(now - expiration) < 0);
  int ran = 0;
  for (int tries = 0; tries < 1000 && ran == 0; tries++) {
    ran = yield_no_wait();
  }
  expect("yield-no-wait-runs-pending", ran == 1 && counter == 2, "pending upcall not run");
  tock_unsubscribe(DRIVER_NUM_ALARM, 0);
}

// Finds this process among the kernel's by name, through process info.
static void check_process_info(void) {
  uint32_t count = 0;
  returncode_t ret = libtock_process_info_count(&count);
  if (ret == RETURNCODE_ENODEVICE) {
    expect("process-info-missing-driver", !libtock_process_info_exists(), "exists yet ENODEVICE");
    return;
  }
  uint32_t ids[8];
  uint32_t listed = 0;
  ret = libtock_process_info_ids(ids, 8, &listed);
  bool found = false;
  for (uint32_t i = 0; ret == RETURNCODE_SUCCESS && i < listed && i < 8 && !found; i++) {
    char name[32];
    libtock_process_info_stats_t stats;
    found = libtock_process_info_name(ids[i], name, sizeof(name)) == RETURNCODE_SUCCESS &&
            strcmp(name, "syscall_conformance") == 0 &&
            libtock_process_info_stats(ids[i], &stats) == RETURNCODE_SUCCESS &&
            stats.state == 0 && stats.syscalls > 0;
  }
  expect("process-info", count >= 1 && listed == count && found,
         "this process not found running by name");
}

int main(void) {
  printf("conformance: start\n");
  check_command();
  check_untouched_registers();
  check_subscribe();
  check_allow();
  check_memop();
  check_yield();
  check_process_info();
  printf("conformance: result passed=%d failed=%d\n", passed, failed);
  // The exit class: terminate with the number of failures.
  exit(failed);
}
