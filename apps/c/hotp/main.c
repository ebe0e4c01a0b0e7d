// hotp: the HOTP security key app in C (the Rust app's twin, same commands
// and the same record format). Program a slot over the console with
//   set <slot> <base32 secret> [6|7|8] [sha1|sha256]
// then press a button: button 0 emits the selected slot (`select N`),
// button N slot N. The code is printed and typed on the USB keyboard. The
// advanced counter is stored before the code is shown, so a reset never
// repeats a code. `totp N` prints and types slot N's TOTP code (RFC 6238,
// 30-second steps) at the real-time clock's time; the HOTP counter stays.
#include <stdio.h>
#include <string.h>

#include <libtock-sync/button.h>
#include <libtock-sync/kv.h>
#include <libtock-sync/rtc.h>
#include <libtock-sync/sha.h>
#include <libtock/button.h>
#include <libtock/console.h>
#include <libtock/usb_keyboard_hid.h>

#include "hotp_logic.h"

static hotp_line_t console_line;
static unsigned selected = 0;

static uint8_t console_byte;
static bool byte_ready = false;
static returncode_t byte_status;
static uint32_t pressed_buttons = 0;

static void on_read(returncode_t status, uint32_t length) {
  byte_status = length == 1 ? status : RETURNCODE_FAIL;
  byte_ready  = true;
}

static void on_button(uint32_t button, bool pressed) {
  if (pressed && button < 32) pressed_buttons |= 1u << button;
}

static returncode_t load(unsigned index, hotp_slot_t* slot, bool* found) {
  uint8_t key[11], record[HOTP_MAX_RECORD];
  uint32_t length = 0;
  hotp_slot_key(index, key);
  returncode_t ret = libtocksync_kv_get(key, sizeof(key), record, sizeof(record), &length);
  // A missing key is NOSUPPORT, as upstream's store reports it.
  if (ret == RETURNCODE_ENOSUPPORT) {
    *found = false;
    return RETURNCODE_SUCCESS;
  }
  if (ret != RETURNCODE_SUCCESS) return ret;
  *found = hotp_decode(record, length, slot);
  return *found ? RETURNCODE_SUCCESS : RETURNCODE_FAIL;
}

static returncode_t store(unsigned index, const hotp_slot_t* slot) {
  uint8_t key[11], record[HOTP_MAX_RECORD];
  hotp_slot_key(index, key);
  size_t length = hotp_encode(slot, record);
  return libtocksync_kv_set(key, sizeof(key), record, length);
}

static bool report_sent;
static void on_report(returncode_t status) {
  (void)status;
  report_sent = true;
}

static returncode_t send_report(uint8_t usage) {
  static uint8_t report[64];
  memset(report, 0, sizeof(report));
  report[2]   = usage;
  report_sent = false;
  returncode_t ret = libtock_usb_keyboard_hid_send(report, sizeof(report), on_report);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_for(&report_sent);
  return RETURNCODE_SUCCESS;
}

// Types each digit (key down, key up) and Enter.
static returncode_t type_code(const char* code) {
  for (const char* digit = code; ; digit++) {
    uint8_t usage = *digit == '\0' ? HOTP_USAGE_ENTER : hotp_digit_usage(*digit);
    returncode_t ret = send_report(usage);
    if (ret == RETURNCODE_SUCCESS) ret = send_report(0);
    if (ret != RETURNCODE_SUCCESS || *digit == '\0') return ret;
  }
}

// Loads slot `index`; false (and says why) if it is empty or unreadable.
static bool load_programmed(unsigned index, hotp_slot_t* slot) {
  bool found = false;
  returncode_t ret = load(index, slot, &found);
  if (ret != RETURNCODE_SUCCESS) {
    printf("hotp: error: slot %u: %s\n", index, tock_strrcode(ret));
  } else if (!found) {
    printf("hotp: slot %u is empty: program it with `set %u <secret>`\n", index, index);
  }
  return ret == RETURNCODE_SUCCESS && found;
}

// The slot's code for `counter`, by the kernel's HMAC; false (and says
// why) if it failed.
static bool code_for(unsigned index, const hotp_slot_t* slot, uint64_t counter, char code[9]) {
  uint8_t message[8], mac[32];
  hotp_counter_message(counter, message);
  libtock_hmac_algorithm_t algorithm = slot->algorithm == HOTP_SHA1 ? LIBTOCK_HMAC_SHA1 : LIBTOCK_HMAC_SHA256;
  size_t mac_length = slot->algorithm == HOTP_SHA1 ? 20 : 32;
  returncode_t ret = libtocksync_hmac_compute(algorithm, slot->secret, slot->secret_length, message,
                                              sizeof(message), mac, mac_length);
  if (ret != RETURNCODE_SUCCESS || !hotp_code(mac, mac_length, slot->digits, code)) {
    printf("hotp: error: slot %u: HMAC failed (%s)\n", index, tock_strrcode(ret));
    return false;
  }
  return true;
}

static void type_and_report(const char* code) {
  returncode_t ret = type_code(code);
  if (ret != RETURNCODE_SUCCESS) printf("hotp: error: typing the code failed: %s\n", tock_strrcode(ret));
}

static void emit(unsigned index) {
  hotp_slot_t slot;
  if (!load_programmed(index, &slot)) return;
  uint64_t counter = slot.counter;
  slot.counter++;
  returncode_t ret = store(index, &slot);
  if (ret != RETURNCODE_SUCCESS) {
    printf("hotp: error: slot %u: %s\n", index, tock_strrcode(ret));
    return;
  }
  char code[9];
  if (!code_for(index, &slot, counter, code)) return;
  printf("hotp: slot %u counter %lu code %s\n", index, (unsigned long)counter, code);
  type_and_report(code);
}

// Prints and types slot `index`'s TOTP code at the clock's time.
static void emit_totp(unsigned index) {
  hotp_slot_t slot;
  if (!load_programmed(index, &slot)) return;
  uint64_t seconds = 0;
  returncode_t ret = libtocksync_rtc_unix_seconds(&seconds);
  if (ret != RETURNCODE_SUCCESS) {
    printf("hotp: error: slot %u: TOTP: reading the clock failed: %s\n", index, tock_strrcode(ret));
    return;
  }
  char code[9];
  if (!code_for(index, &slot, hotp_totp_counter(seconds), code)) return;
  printf("hotp: slot %u time %llu totp %s\n", index, (unsigned long long)seconds, code);
  type_and_report(code);
}

static void list(void) {
  for (unsigned index = 0; index < HOTP_SLOT_COUNT; index++) {
    hotp_slot_t slot;
    bool found = false;
    returncode_t ret = load(index, &slot, &found);
    if (ret != RETURNCODE_SUCCESS) {
      printf("hotp: slot %u: unreadable (%s)\n", index, tock_strrcode(ret));
    } else if (!found) {
      printf("hotp: slot %u: empty\n", index);
    } else {
      printf("hotp: slot %u: %u digits, %s, counter %lu\n", index, slot.digits,
             slot.algorithm == HOTP_SHA1 ? "sha1" : "sha256", (unsigned long)slot.counter);
    }
  }
}

static void execute_line(void) {
  hotp_command_t command = hotp_parse(console_line.text);
  switch (command.kind) {
    case HOTP_COMMAND_SET: {
      returncode_t ret = store(command.slot, &command.value);
      if (ret == RETURNCODE_SUCCESS) {
        printf("hotp: slot %u programmed (%u digits, %s)\n", command.slot, command.value.digits,
               command.value.algorithm == HOTP_SHA1 ? "sha1" : "sha256");
      } else {
        printf("hotp: error: storing slot %u failed: %s\n", command.slot, tock_strrcode(ret));
      }
      break;
    }
    case HOTP_COMMAND_SELECT:
      selected = command.slot;
      printf("hotp: slot %u selected\n", selected);
      break;
    case HOTP_COMMAND_TOTP: emit_totp(command.slot); break;
    case HOTP_COMMAND_LIST: list(); break;
    case HOTP_COMMAND_HELP:
      printf("hotp: commands: set <slot> <base32 secret> [6|7|8] [sha1|sha256]; select <slot>; "
             "totp <slot>; list; help\n");
      break;
    case HOTP_COMMAND_ERROR: printf("hotp: error: %s\n", command.error); break;
    case HOTP_COMMAND_NOTHING: break;
  }
}

static void take_byte(uint8_t byte) {
  switch (hotp_line_push(&console_line, byte)) {
    case HOTP_LINE_DONE: execute_line(); break;
    case HOTP_LINE_TOO_LONG:
      printf("hotp: error: the line is longer than %d characters\n", HOTP_MAX_LINE);
      break;
    case HOTP_LINE_PENDING: break;
  }
}

int main(void) {
  uint32_t buttons = 0;
  if (libtock_button_count(&buttons) != RETURNCODE_SUCCESS ||
      libtock_button_notify_on_change(on_button) != RETURNCODE_SUCCESS) {
    printf("hotp: error: no buttons\n");
    return 1;
  }
  for (uint32_t button = 0; button < buttons; button++) libtock_button_enable_interrupt(button);
  printf("hotp: ready, %d slots, %lu button(s)\n", HOTP_SLOT_COUNT, (unsigned long)buttons);
  while (true) {
    byte_ready       = false;
    returncode_t ret = libtock_console_read(&console_byte, 1, on_read);
    if (ret != RETURNCODE_SUCCESS) {
      printf("hotp: error: console read: %s\n", tock_strrcode(ret));
      return 1;
    }
    // Presses are handled before each yield: one that came while a code
    // was being typed (its upcall ran inside that wait) is not left behind.
    while (true) {
      uint32_t pressed = pressed_buttons;
      pressed_buttons = 0;
      for (unsigned button = 0; button < 32; button++) {
        if (pressed & (1u << button)) {
          unsigned index = button == 0 ? selected : button;
          if (index < HOTP_SLOT_COUNT) emit(index);
          else printf("hotp: error: button %u has no slot\n", button);
        }
      }
      if (byte_ready) break;
      yield();
    }
    if (byte_status != RETURNCODE_SUCCESS) {
      printf("hotp: error: console read: %s\n", tock_strrcode(byte_status));
      return 1;
    }
    take_byte(console_byte);
  }
}
