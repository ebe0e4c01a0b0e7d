// HOTP and TOTP logic with no system calls (so it builds and is tested on the host):
// base32 (RFC 4648), dynamic truncation (RFC 4226 5.3), the slot record
// kept in the key-value store, console command parsing, keyboard usages.
// The record layout is the Rust app's (apps/rust/hotp/src/slot.rs):
//   [format=1][algorithm 0 sha1 / 1 sha256][digits][secret len][counter u64 LE][secret]
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOTP_SLOT_COUNT 4
#define HOTP_MAX_SECRET 64
#define HOTP_RECORD_HEADER 12
#define HOTP_MAX_RECORD (HOTP_RECORD_HEADER + HOTP_MAX_SECRET)

typedef enum { HOTP_SHA1 = 0, HOTP_SHA256 = 1 } hotp_algorithm_t;

typedef struct {
  hotp_algorithm_t algorithm;
  uint8_t digits;
  uint64_t counter;  // the counter of the next code
  uint8_t secret_length;
  uint8_t secret[HOTP_MAX_SECRET];
} hotp_slot_t;

// Decodes base32 `text` (case-insensitive, spaces and '=' padding allowed)
// into `output`; returns the byte count, or -1 on bad text or overflow.
int hotp_base32_decode(const char* text, uint8_t* output, size_t capacity);

// The 31-bit dynamic truncation of `mac` (at least 20 bytes), or -1.
int64_t hotp_truncate(const uint8_t* mac, size_t length);

// Writes the `digits`-digit code of `mac` and a NUL into `text` (>= 9
// bytes); false if `digits` is not 6..8 or the MAC is too short.
bool hotp_code(const uint8_t* mac, size_t length, uint8_t digits, char* text);

// The slot record; `hotp_decode` returns false for a damaged record.
size_t hotp_encode(const hotp_slot_t* slot, uint8_t* record);
bool hotp_decode(const uint8_t* record, size_t length, hotp_slot_t* slot);

// Writes the key of slot `index` ("hotp-slot-N", 11 bytes, no NUL).
void hotp_slot_key(unsigned index, uint8_t key[11]);

// TOTP (RFC 6238): the counter is the number of whole 30-second steps
// since the Unix epoch.
#define HOTP_TOTP_STEP_SECONDS 30
uint64_t hotp_totp_counter(uint64_t unix_seconds);
// The HMAC message of `counter`: 8 bytes, big-endian.
void hotp_counter_message(uint64_t counter, uint8_t message[8]);

// The HID keyboard usage of an ASCII digit, or 0.
uint8_t hotp_digit_usage(char digit);
#define HOTP_USAGE_ENTER 0x28

typedef enum {
  HOTP_COMMAND_NOTHING,
  HOTP_COMMAND_SET,
  HOTP_COMMAND_SELECT,
  HOTP_COMMAND_TOTP,
  HOTP_COMMAND_LIST,
  HOTP_COMMAND_HELP,
  HOTP_COMMAND_ERROR,
} hotp_command_kind_t;

typedef struct {
  hotp_command_kind_t kind;
  unsigned slot;
  hotp_slot_t value;    // for SET
  const char* error;    // for ERROR: what to type instead
} hotp_command_t;

// Console bytes to lines: Enter ends a line, Backspace erases, escape
// sequences are dropped (`ESC [ ... final`, `ESC O x`, and the emulated
// boards' button click `ESC B <digit>`, which reaches every console reader).
#define HOTP_MAX_LINE 160
typedef struct {
  char text[HOTP_MAX_LINE + 1];  // the finished line, NUL-terminated
  size_t length;
  bool overflowed;
  int escape;  // 0 none, 1 after ESC, 2 in ESC [, 3 one byte to drop, 4 after ESC B
} hotp_line_t;
typedef enum { HOTP_LINE_PENDING, HOTP_LINE_DONE, HOTP_LINE_TOO_LONG } hotp_line_event_t;
// Takes one byte; after HOTP_LINE_DONE, `text` holds the line until the
// next byte.
hotp_line_event_t hotp_line_push(hotp_line_t* line, uint8_t byte);

// Parses one line (modified in place: words are split with NULs).
hotp_command_t hotp_parse(char* line);
