// See hotp_logic.h.
#include "hotp_logic.h"

#include <stdlib.h>
#include <string.h>

static int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

int hotp_base32_decode(const char* text, uint8_t* output, size_t capacity) {
  uint32_t buffer = 0;
  unsigned bits   = 0;
  size_t written  = 0;
  bool padding    = false;
  for (; *text != '\0'; text++) {
    if (*text == ' ') continue;
    if (*text == '=') {
      padding = true;
      continue;
    }
    int value = base32_value(*text);
    if (value < 0 || padding) return -1;
    buffer = (buffer << 5) | (uint32_t)value;
    bits  += 5;
    if (bits >= 8) {
      bits -= 8;
      if (written == capacity) return -1;
      output[written++] = (uint8_t)(buffer >> bits);
      buffer &= (1u << bits) - 1;
    }
  }
  // Leftover bits that are not zero: the text was cut off.
  return buffer == 0 ? (int)written : -1;
}

int64_t hotp_truncate(const uint8_t* mac, size_t length) {
  if (length < 20) return -1;
  unsigned offset = mac[length - 1] & 0x0f;
  return (int64_t)((((uint32_t)mac[offset] & 0x7f) << 24) | ((uint32_t)mac[offset + 1] << 16) |
                   ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3]);
}

bool hotp_code(const uint8_t* mac, size_t length, uint8_t digits, char* text) {
  int64_t value = hotp_truncate(mac, length);
  if (value < 0 || digits < 6 || digits > 8) return false;
  uint32_t modulus = 1;
  for (uint8_t i = 0; i < digits; i++) modulus *= 10;
  uint32_t code = (uint32_t)value % modulus;
  for (int place = digits - 1; place >= 0; place--) {
    text[place] = (char)('0' + code % 10);
    code       /= 10;
  }
  text[digits] = '\0';
  return true;
}

size_t hotp_encode(const hotp_slot_t* slot, uint8_t* record) {
  record[0] = 1;
  record[1] = (uint8_t)slot->algorithm;
  record[2] = slot->digits;
  record[3] = slot->secret_length;
  for (int i = 0; i < 8; i++) record[4 + i] = (uint8_t)(slot->counter >> (8 * i));
  memcpy(record + HOTP_RECORD_HEADER, slot->secret, slot->secret_length);
  return HOTP_RECORD_HEADER + slot->secret_length;
}

bool hotp_decode(const uint8_t* record, size_t length, hotp_slot_t* slot) {
  if (length < HOTP_RECORD_HEADER || record[0] != 1 || record[1] > 1) return false;
  if (record[2] < 6 || record[2] > 8) return false;
  if (record[3] == 0 || record[3] > HOTP_MAX_SECRET) return false;
  if (length < (size_t)HOTP_RECORD_HEADER + record[3]) return false;
  slot->algorithm = (hotp_algorithm_t)record[1];
  slot->digits    = record[2];
  slot->counter   = 0;
  for (int i = 7; i >= 0; i--) slot->counter = (slot->counter << 8) | record[4 + i];
  slot->secret_length = record[3];
  memcpy(slot->secret, record + HOTP_RECORD_HEADER, record[3]);
  return true;
}

void hotp_slot_key(unsigned index, uint8_t key[11]) {
  memcpy(key, "hotp-slot-0", 11);
  key[10] = (uint8_t)('0' + index % 10);
}

uint8_t hotp_digit_usage(char digit) {
  if (digit == '0') return 0x27;
  if (digit >= '1' && digit <= '9') return (uint8_t)(0x1e + (digit - '1'));
  return 0;
}

static bool parse_slot(const char* word, unsigned* slot) {
  if (word == NULL || word[0] < '0' || word[0] >= '0' + HOTP_SLOT_COUNT || word[1] != '\0') {
    return false;
  }
  *slot = (unsigned)(word[0] - '0');
  return true;
}

static hotp_command_t error(const char* message) {
  hotp_command_t command = { .kind = HOTP_COMMAND_ERROR, .error = message };
  return command;
}

static hotp_command_t parse_set(char** save) {
  hotp_command_t command = { .kind = HOTP_COMMAND_SET };
  if (!parse_slot(strtok_r(NULL, " ", save), &command.slot)) {
    return error("the slot must be a number from 0 to 3");
  }
  const char* secret = strtok_r(NULL, " ", save);
  if (secret == NULL) return error("usage: set <slot> <base32 secret> [6|7|8] [sha1|sha256]");
  int length = hotp_base32_decode(secret, command.value.secret, HOTP_MAX_SECRET);
  if (length <= 0) return error("the secret is not base32 (letters A-Z and digits 2-7)");
  command.value.secret_length = (uint8_t)length;
  command.value.digits        = 6;
  command.value.algorithm     = HOTP_SHA1;
  command.value.counter       = 0;
  for (char* option = strtok_r(NULL, " ", save); option; option = strtok_r(NULL, " ", save)) {
    if (strcmp(option, "sha1") == 0) {
      command.value.algorithm = HOTP_SHA1;
    } else if (strcmp(option, "sha256") == 0) {
      command.value.algorithm = HOTP_SHA256;
    } else if (option[0] >= '6' && option[0] <= '8' && option[1] == '\0') {
      command.value.digits = (uint8_t)(option[0] - '0');
    } else {
      return error("options are a digit count (6, 7, 8) or sha1 / sha256");
    }
  }
  return command;
}

uint64_t hotp_totp_counter(uint64_t unix_seconds) {
  return unix_seconds / HOTP_TOTP_STEP_SECONDS;
}

void hotp_counter_message(uint64_t counter, uint8_t message[8]) {
  for (int i = 0; i < 8; i++) message[i] = (uint8_t)(counter >> (56 - 8 * i));
}

hotp_command_t hotp_parse(char* line) {
  char* save       = NULL;
  const char* word = strtok_r(line, " ", &save);
  hotp_command_t command = { .kind = HOTP_COMMAND_NOTHING };
  if (word == NULL) return command;
  if (strcmp(word, "set") == 0) return parse_set(&save);
  bool select = strcmp(word, "select") == 0;
  if (select || strcmp(word, "totp") == 0) {
    command.kind = select ? HOTP_COMMAND_SELECT : HOTP_COMMAND_TOTP;
    if (!parse_slot(strtok_r(NULL, " ", &save), &command.slot)) {
      return error("the slot must be a number from 0 to 3");
    }
    return command;
  }
  if (strcmp(word, "list") == 0) command.kind = HOTP_COMMAND_LIST;
  else if (strcmp(word, "help") == 0) command.kind = HOTP_COMMAND_HELP;
  else return error("unknown command: type `help`");
  return command;
}

hotp_line_event_t hotp_line_push(hotp_line_t* line, uint8_t byte) {
  // Enter always ends the line and any escape sequence: bytes that arrive
  // while no read is outstanding are lost, so a sequence may never end.
  if (byte == '\r' || byte == '\n') {
    bool too_long = line->overflowed;
    line->text[too_long ? 0 : line->length] = '\0';
    line->length     = 0;
    line->overflowed = false;
    line->escape     = 0;
    return too_long ? HOTP_LINE_TOO_LONG : HOTP_LINE_DONE;
  }
  switch (line->escape) {
    case 1:
      // ESC and one byte, or a sequence cut short: drop that byte.
      line->escape = byte == '[' ? 2 : byte == 'B' ? 4 : byte == 'O' ? 3 : 0;
      return HOTP_LINE_PENDING;
    case 2: if (byte >= 0x40 && byte <= 0x7e) line->escape = 0; return HOTP_LINE_PENDING;
    case 3: line->escape = 0; return HOTP_LINE_PENDING;
    case 4:
      // After ESC B only a digit is the click's; anything else is text (a
      // byte that came while no read was outstanding is lost).
      line->escape = 0;
      if (byte >= '0' && byte <= '9') return HOTP_LINE_PENDING;
      break;
    default: break;
  }
  if (byte == 0x1b) {
    line->escape = 1;
  } else if (byte == 0x08 || byte == 0x7f) {
    if (line->length > 0) line->length--;
  } else if (byte >= 0x20 && byte <= 0x7e) {
    if (line->length < HOTP_MAX_LINE) line->text[line->length++] = (char)byte;
    else line->overflowed = true;
  }
  return HOTP_LINE_PENDING;
}
