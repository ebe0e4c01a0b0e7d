// A fake Tock kernel for testing libtock-c in QEMU before (and besides) the
// real kernel: a test fixture, never a kernel. The architecture file boots
// it (arch_riscv.c on qemu-rv32-virt, arch_arm.c on mps2-an386), enters the
// one TBF at APP_FLASH with upstream's entry registers, runs the app
// without isolation, and passes each system call here, which answers with
// TRD104's registers for a few drivers:
//   console (1): command 0/1, read-only allow 1, subscribe 1 (write done);
//   alarm (0):   commands 0, 1 (1 kHz), 2, 3, 5, 6 and subscribe 0, on a
//                simulated clock: it advances by one tick per read, and
//                jumps to the next expiration when the app waits;
//   memop:       brk, sbrk, memory/flash start and end, hints;
//   exit:        terminate ends QEMU with the code (SiFive test device).
// Every other driver answers NODEVICE. A yield-wait-for that can never
// return ends QEMU with code 0xDEAD ("deadlock"); a yield-wait with nothing
// pending ends it with 0 ("idle": the app is done).

#include <stdint.h>

#include <libtock/tock_abi.h>

#include "fake_kernel.h"

struct upcall {
  uint32_t function, data;
};

struct event {
  uint32_t driver, subscribe, args[3];
};


void* memcpy(void* destination, const void* source, unsigned int length) {
  volatile uint8_t* to = destination;
  const uint8_t* from  = source;
  while (length--) *to++ = *from++;
  return destination;
}

void* memset(void* destination, int value, unsigned int length) {
  volatile uint8_t* to = destination;
  while (length--) *to++ = (uint8_t)value;
  return destination;
}

static uint32_t app_break;
static uint32_t ticks;
static uint32_t alarm_expiration;
static uint32_t alarm_armed;
static struct upcall console_upcalls[3];
static struct upcall alarm_upcall;
static uint32_t console_buffer, console_length;     // read-only allow 1
static uint32_t console_rw_buffer, console_rw_length; // read-write allow 1
static struct event pending[8];
static uint32_t pending_count;

#define uart_put arch_uart_put
#define quit arch_quit
#define print fake_kernel_print
#define print_hex fake_kernel_print_hex

void fake_kernel_print(const char* text) {
  while (*text) uart_put(*text++);
}

void fake_kernel_print_hex(uint32_t value) {
  print("0x");
  for (int shift = 28; shift >= 0; shift -= 4) {
    uart_put("0123456789abcdef"[(value >> shift) & 0xF]);
  }
}

// How many of r0-r3 a return variant writes (kernel-abi's
// `ReturnVariant::registers_written`); the others keep what the app passed,
// as upstream's kernel and ours leave them.
static int registers_written(uint32_t variant) {
  switch (variant) {
    case TOCK_SYSCALL_SUCCESS: return 1;
    case TOCK_SYSCALL_FAILURE:
    case TOCK_SYSCALL_SUCCESS_U32: return 2;
    case TOCK_SYSCALL_FAILURE_U32:
    case TOCK_SYSCALL_SUCCESS_U32_U32:
    case TOCK_SYSCALL_SUCCESS_U64: return 3;
    default: return 4;
  }
}

static void set_return(struct syscall* call, uint32_t variant, uint32_t r1, uint32_t r2, uint32_t r3) {
  uint32_t values[4] = { variant, r1, r2, r3 };
  int written = registers_written(variant);
  for (int i = 0; i < written; i++) call->r[i] = values[i];
}

static void queue(uint32_t driver, uint32_t subscribe, uint32_t a0, uint32_t a1, uint32_t a2) {
  if (pending_count == sizeof(pending) / sizeof(pending[0])) return;
  struct event event = { driver, subscribe, { a0, a1, a2 } };
  pending[pending_count++] = event;
}

static void take_event(uint32_t index, struct event* out) {
  *out = pending[index];
  for (uint32_t i = index + 1; i < pending_count; i++) pending[i - 1] = pending[i];
  pending_count--;
}

// The alarm fires once the simulated clock has passed its expiration.
static void check_alarm(void) {
  if (alarm_armed && (int32_t)(ticks - alarm_expiration) >= 0) {
    alarm_armed = 0;
    queue(DRIVER_NUM_ALARM, 0, ticks, alarm_expiration, 0);
  }
}

// Time passes while the app waits: jump to the alarm's expiration. Returns
// 0 if no alarm is armed (nothing could ever happen).
static int advance_clock(void) {
  if (!alarm_armed) return 0;
  if ((int32_t)(alarm_expiration - ticks) > 0) ticks = alarm_expiration;
  check_alarm();
  return 1;
}

static struct upcall* upcall_slot(uint32_t driver, uint32_t subscribe) {
  if (driver == DRIVER_NUM_CONSOLE && subscribe < 3) return &console_upcalls[subscribe];
  if (driver == DRIVER_NUM_ALARM && subscribe == 0) return &alarm_upcall;
  return 0;
}

// Runs the first pending event that has an upcall (the architecture makes
// it "return" to the instruction after the yield). Events for null upcalls
// are dropped.
static int deliver_one(struct syscall* call) {
  while (pending_count != 0) {
    struct event event;
    take_event(0, &event);
    struct upcall* slot = upcall_slot(event.driver, event.subscribe);
    if (slot != 0 && slot->function != 0) {
      set_return(call, event.args[0], event.args[1], event.args[2], slot->data);
      call->upcall_function = slot->function;
      return 1;
    }
  }
  return 0;
}

static void do_yield(struct syscall* call) {
  uint32_t kind = call->r[0];
  check_alarm();
  if (kind == TOCK_YIELD_WAIT_FOR) {
    do {
      for (uint32_t i = 0; i < pending_count; i++) {
        if (pending[i].driver == call->r[1] && pending[i].subscribe == call->r[2]) {
          struct event event;
          take_event(i, &event);
          set_return(call, event.args[0], event.args[1], event.args[2], call->r[3]);
          return;
        }
      }
    } while (advance_clock());
    print("fake-kernel: yield-wait-for can never return\n");
    quit(0xDEAD);
  }
  if (kind == TOCK_YIELD_NO_WAIT) {
    uint32_t flag = call->r[1];
    int ran = deliver_one(call);
    if (flag != 0) *(volatile uint8_t*)flag = ran ? 1 : 0;
    return;
  }
  if (kind == TOCK_YIELD_WAIT) {
    do {
      if (deliver_one(call)) return;
    } while (advance_clock());
    // Nothing can ever wake the app: on a real kernel it would sleep
    // forever, serving no one. The test is over.
    print("fake-kernel: app idle (yield-wait with nothing pending)\n");
    quit(0);
  }
}

static void do_subscribe(struct syscall* call) {
  struct upcall* slot = upcall_slot(call->r[0], call->r[1]);
  if (slot == 0) {
    uint32_t status = (call->r[0] == DRIVER_NUM_CONSOLE || call->r[0] == DRIVER_NUM_ALARM)
                      ? TOCK_STATUSCODE_NOSUPPORT : TOCK_STATUSCODE_NODEVICE;
    set_return(call, TOCK_SYSCALL_FAILURE_U32_U32, status, call->r[2], call->r[3]);
    return;
  }
  struct upcall previous = *slot;
  slot->function = call->r[2];
  slot->data     = call->r[3];
  set_return(call, TOCK_SYSCALL_SUCCESS_U32_U32, previous.function, previous.data, 0);
}

static void alarm_command(struct syscall* call) {
  switch (call->r[1]) {
    case 0: set_return(call, TOCK_SYSCALL_SUCCESS, 0, 0, 0); return;
    case 1: set_return(call, TOCK_SYSCALL_SUCCESS_U32, 1000, 0, 0); return;
    case 2: set_return(call, TOCK_SYSCALL_SUCCESS_U32, ++ticks, 0, 0); check_alarm(); return;
    case 3: alarm_armed = 0; set_return(call, TOCK_SYSCALL_SUCCESS, 0, 0, 0); return;
    case 5: alarm_expiration = ticks + call->r[2]; break;
    case 6: alarm_expiration = call->r[2] + call->r[3]; break;
    default: set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NOSUPPORT, 0, 0); return;
  }
  alarm_armed = 1;
  set_return(call, TOCK_SYSCALL_SUCCESS_U32, alarm_expiration, 0, 0);
}

static void console_command(struct syscall* call) {
  if (call->r[1] == 0) {
    set_return(call, TOCK_SYSCALL_SUCCESS, 0, 0, 0);
  } else if (call->r[1] == 1) {
    uint32_t length = call->r[2] < console_length ? call->r[2] : console_length;
    for (uint32_t i = 0; i < length; i++) uart_put(((const char*)console_buffer)[i]);
    queue(DRIVER_NUM_CONSOLE, 1, length, 0, 0);
    set_return(call, TOCK_SYSCALL_SUCCESS, 0, 0, 0);
  } else {
    set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NOSUPPORT, 0, 0);
  }
}

static int in_app_memory(uint32_t pointer, uint32_t length, int flash_allowed) {
  if (length == 0) return 1;
  if (pointer >= APP_RAM && pointer + length <= app_break) return 1;
  return flash_allowed && pointer >= APP_FLASH && pointer + length <= APP_FLASH + APP_FLASH_LENGTH;
}

static void do_allow(struct syscall* call, uint32_t class) {
  uint32_t is_console_buffer = call->r[0] == DRIVER_NUM_CONSOLE && call->r[1] == 1 &&
                               class != TOCK_SYSCALL_CLASS_USERSPACE_READABLE_ALLOW;
  if (!is_console_buffer) {
    set_return(call, TOCK_SYSCALL_FAILURE_U32_U32,
               call->r[0] == DRIVER_NUM_CONSOLE ? TOCK_STATUSCODE_NOSUPPORT : TOCK_STATUSCODE_NODEVICE,
               call->r[2], call->r[3]);
    return;
  }
  if (!in_app_memory(call->r[2], call->r[3], class == TOCK_SYSCALL_CLASS_READ_ONLY_ALLOW)) {
    set_return(call, TOCK_SYSCALL_FAILURE_U32_U32, TOCK_STATUSCODE_INVAL, call->r[2], call->r[3]);
    return;
  }
  int read_only = class == TOCK_SYSCALL_CLASS_READ_ONLY_ALLOW;
  uint32_t* buffer = read_only ? &console_buffer : &console_rw_buffer;
  uint32_t* length = read_only ? &console_length : &console_rw_length;
  uint32_t previous_buffer = *buffer, previous_length = *length;
  *buffer = call->r[2];
  *length = call->r[3];
  set_return(call, TOCK_SYSCALL_SUCCESS_U32_U32, previous_buffer, previous_length, 0);
}

static void do_memop(struct syscall* call) {
  uint32_t value;
  switch (call->r[0]) {
    case TOCK_MEMOP_BRK:
      if (call->r[1] < APP_RAM || call->r[1] > APP_RAM + APP_RAM_LENGTH) {
        set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NOMEM, 0, 0);
        return;
      }
      app_break = call->r[1];
      set_return(call, TOCK_SYSCALL_SUCCESS, 0, 0, 0);
      return;
    case TOCK_MEMOP_SBRK:
      value = app_break + call->r[1];
      if (value < APP_RAM || value > APP_RAM + APP_RAM_LENGTH) {
        set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NOMEM, 0, 0);
        return;
      }
      set_return(call, TOCK_SYSCALL_SUCCESS_U32, app_break, 0, 0);
      app_break = value;
      return;
    case TOCK_MEMOP_MEMORY_START: value = APP_RAM; break;
    case TOCK_MEMOP_MEMORY_END: value = APP_RAM + APP_RAM_LENGTH; break;
    case TOCK_MEMOP_FLASH_START: value = APP_FLASH; break;
    case TOCK_MEMOP_FLASH_END: value = APP_FLASH + APP_FLASH_LENGTH; break;
    case TOCK_MEMOP_STACK_TOP_HINT:
    case TOCK_MEMOP_HEAP_START_HINT:
      set_return(call, TOCK_SYSCALL_SUCCESS, 0, 0, 0);
      return;
    default:
      set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_FAIL, 0, 0);
      return;
  }
  set_return(call, TOCK_SYSCALL_SUCCESS_U32, value, 0, 0);
}

void fake_kernel_syscall(struct syscall* call) {
  uint32_t class = call->class;
  call->upcall_function = 0;
  switch (class) {
    case TOCK_SYSCALL_CLASS_YIELD: do_yield(call); break;
    case TOCK_SYSCALL_CLASS_SUBSCRIBE: do_subscribe(call); break;
    case TOCK_SYSCALL_CLASS_COMMAND:
      if (call->r[0] == DRIVER_NUM_CONSOLE) console_command(call);
      else if (call->r[0] == DRIVER_NUM_ALARM) alarm_command(call);
      else set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NODEVICE, 0, 0);
      break;
    case TOCK_SYSCALL_CLASS_READ_WRITE_ALLOW:
    case TOCK_SYSCALL_CLASS_READ_ONLY_ALLOW:
    case TOCK_SYSCALL_CLASS_USERSPACE_READABLE_ALLOW: do_allow(call, class); break;
    case TOCK_SYSCALL_CLASS_MEMOP: do_memop(call); break;
    case TOCK_SYSCALL_CLASS_EXIT:
      print("fake-kernel: app exited with ");
      print_hex(call->r[1]);
      print("\n");
      quit(call->r[0] == TOCK_EXIT_TERMINATE ? call->r[1] : 0xEE);
    default: set_return(call, TOCK_SYSCALL_FAILURE, TOCK_STATUSCODE_NOSUPPORT, 0, 0); break;
  }
}

// Reads the TBF header the packager wrote: where Tock would enter the app.
struct app_entry fake_kernel_app_entry(void) {
  const uint8_t* tbf = (const uint8_t*)APP_FLASH;
  uint32_t header_length = tbf[2] | (tbf[3] << 8);
  if (header_length < 16 || header_length == 0xFFFF) {
    print("fake-kernel: no TBF at ");
    print_hex(APP_FLASH);
    print("\n");
    quit(0xB0);
  }
  uint32_t init_offset = 0, protected_size = 0;
  for (uint32_t at = 16; at + 4 <= header_length;) {
    uint32_t type = tbf[at] | (tbf[at + 1] << 8);
    uint32_t length = tbf[at + 2] | (tbf[at + 3] << 8);
    if (type == 1 || type == 9) {
      init_offset    = *(const uint32_t*)(tbf + at + 4);
      protected_size = *(const uint32_t*)(tbf + at + 8);
    }
    at += 4 + ((length + 3) & ~3u);
  }
  app_break = APP_RAM;
  struct app_entry entry = {
    APP_FLASH + header_length + init_offset, APP_FLASH + header_length + protected_size,
    APP_RAM, APP_RAM_LENGTH, APP_RAM,
  };
  print("fake-kernel: starting app\n");
  return entry;
}
