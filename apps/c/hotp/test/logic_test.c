// Host test of hotp_logic.c: RFC 4226 appendix D (the HMAC-SHA-1 values and
// the codes it lists), RFC 6238 appendix B (dates through libtock's
// rtc_date.c, steps, codes), RFC 4648 base32 vectors, the slot record and
// the command parser. Built and run by `cargo xtask test security-key`.
// Exit status 0 only when every check passed.
#include <stdio.h>
#include <string.h>

#include <libtock/rtc.h>

#include "../hotp_logic.h"

static int failures = 0;

#define CHECK(condition)                                              \
  do {                                                                \
    if (!(condition)) {                                               \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #condition);     \
      failures++;                                                     \
    }                                                                 \
  } while (0)

static void from_hex(const char* hex, uint8_t* out) {
  for (int i = 0; hex[2 * i] != '\0'; i++) {
    unsigned byte = 0;
    sscanf(hex + 2 * i, "%2x", &byte);
    out[i] = (uint8_t)byte;
  }
}

static void rfc_4226_appendix_d(void) {
  static const char* macs[10] = {
    "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", "75a48a19d4cbe100644e8ac1397eea747a2d33ab",
    "0bacb7fa082fef30782211938bc1c5e70416ff44", "66c28227d03a2d5529262ff016a1e6ef76557ece",
    "a904c900a64b35909874b33e61c5938a8e15ed1c", "a37e783d7b7233c083d4f62926c7a25f238d0316",
    "bc9cd28561042c83f219324d3c607256c03272ae", "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa",
    "1b3c89f65e6c9e883012052823443f048b4332db", "1637409809a679dc698207310c8c7fc07290d9e5",
  };
  static const int64_t truncated[10] = { 1284755224, 1094287082, 137359152, 1726969429,
                                         1640338314, 868254676,  1918287922, 82162583,
                                         673399871,  645520489 };
  static const char* codes[10] = { "755224", "287082", "359152", "969429", "338314",
                                   "254676", "287922", "162583", "399871", "520489" };
  for (int count = 0; count < 10; count++) {
    uint8_t mac[20];
    char code[9];
    from_hex(macs[count], mac);
    CHECK(hotp_truncate(mac, 20) == truncated[count]);
    CHECK(hotp_code(mac, 20, 6, code) && strcmp(code, codes[count]) == 0);
  }
  uint8_t mac[20];
  char code[9];
  from_hex(macs[7], mac);
  CHECK(hotp_code(mac, 20, 8, code) && strcmp(code, "82162583") == 0);
  CHECK(!hotp_code(mac, 20, 9, code));
  CHECK(hotp_truncate(mac, 19) == -1);
}

static void base32(void) {
  uint8_t out[32];
  CHECK(hotp_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, sizeof(out)) == 20);
  CHECK(memcmp(out, "12345678901234567890", 20) == 0);
  CHECK(hotp_base32_decode("mzxw6ytboi======", out, sizeof(out)) == 6);
  CHECK(memcmp(out, "foobar", 6) == 0);
  CHECK(hotp_base32_decode("MZ1W", out, sizeof(out)) == -1);
  CHECK(hotp_base32_decode("MZ", out, sizeof(out)) == -1);
  CHECK(hotp_base32_decode("MZXW6YTBOI", out, 4) == -1);
}

static void records_and_commands(void) {
  char line[] = "set 2 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 8 sha256";
  hotp_command_t command = hotp_parse(line);
  CHECK(command.kind == HOTP_COMMAND_SET && command.slot == 2);
  CHECK(command.value.digits == 8 && command.value.algorithm == HOTP_SHA256);
  command.value.counter = 0x0102030405ULL;
  uint8_t record[HOTP_MAX_RECORD];
  size_t length = hotp_encode(&command.value, record);
  CHECK(length == 32);
  hotp_slot_t back;
  CHECK(hotp_decode(record, length, &back));
  CHECK(back.counter == 0x0102030405ULL && back.secret_length == 20);
  CHECK(memcmp(back.secret, "12345678901234567890", 20) == 0);
  CHECK(!hotp_decode(record, length - 1, &back));
  record[2] = 5;
  CHECK(!hotp_decode(record, length, &back));
  char bad_slot[] = "select 4";
  CHECK(hotp_parse(bad_slot).kind == HOTP_COMMAND_ERROR);
  char bad_option[] = "set 0 MZXW6YTB md5";
  CHECK(hotp_parse(bad_option).kind == HOTP_COMMAND_ERROR);
  char unknown[] = "format";
  CHECK(hotp_parse(unknown).kind == HOTP_COMMAND_ERROR);
  char empty[] = "   ";
  CHECK(hotp_parse(empty).kind == HOTP_COMMAND_NOTHING);
  uint8_t key[11];
  hotp_slot_key(3, key);
  CHECK(memcmp(key, "hotp-slot-3", 11) == 0);
  CHECK(hotp_digit_usage('1') == 0x1e && hotp_digit_usage('0') == 0x27);
}

// RFC 6238 appendix B (SHA-1, eight digits): each UTC date is the Unix
// time the RFC lists, and its step's HMAC (computed by Python's hmac)
// gives the RFC's code.
static void rfc_6238_appendix_b(void) {
  static const struct {
    libtock_rtc_date_t date;
    int64_t seconds;
    uint64_t counter;
    const char* mac;
    const char* code;
  } vectors[] = {
    { { 1970, 1, 1, THURSDAY, 0, 0, 59 }, 59, 1, "75a48a19d4cbe100644e8ac1397eea747a2d33ab", "94287082" },
    { { 2005, 3, 18, FRIDAY, 1, 58, 29 }, 1111111109, 37037036,
      "278c02e53610f84c40bd9135acd4101012410a14", "07081804" },
    { { 2005, 3, 18, FRIDAY, 1, 58, 31 }, 1111111111, 37037037,
      "b0092b21d048af209da0a1ddd498ade8a79487ed", "14050471" },
    { { 2009, 2, 13, FRIDAY, 23, 31, 30 }, 1234567890, 41152263,
      "907cd1a9116564ecb9d5d1780325f246173fe703", "89005924" },
  };
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    int64_t seconds = libtock_rtc_unix_seconds(&vectors[i].date);
    CHECK(seconds == vectors[i].seconds);
    CHECK(hotp_totp_counter((uint64_t)seconds) == vectors[i].counter);
    uint8_t mac[20];
    char code[9];
    from_hex(vectors[i].mac, mac);
    CHECK(hotp_code(mac, sizeof(mac), 8, code) && strcmp(code, vectors[i].code) == 0);
  }
  uint8_t message[8];
  hotp_counter_message(37037036, message);
  const uint8_t expected[8] = { 0, 0, 0, 0, 0x02, 0x35, 0x23, 0xec };
  CHECK(memcmp(message, expected, 8) == 0);
  libtock_rtc_date_t leap_day = { 2000, 2, 29, TUESDAY, 0, 0, 0 };
  CHECK(libtock_rtc_unix_seconds(&leap_day) == 951782400);
  libtock_rtc_date_t before_1970 = { 1969, 12, 31, WEDNESDAY, 23, 59, 59 };
  CHECK(libtock_rtc_unix_seconds(&before_1970) == -1);
  uint32_t packed_date, packed_time;
  libtock_rtc_pack(&vectors[3].date, &packed_date, &packed_time);
  CHECK(packed_date == ((2009u << 9) | (2u << 5) | 13u));
  CHECK(packed_time == ((5u << 17) | (23u << 12) | (31u << 6) | 30u));
  libtock_rtc_date_t back;
  libtock_rtc_unpack(packed_date, packed_time, &back);
  CHECK(memcmp(&back, &vectors[3].date, sizeof(back)) == 0);
  char totp[] = "totp 2";
  hotp_command_t command = hotp_parse(totp);
  CHECK(command.kind == HOTP_COMMAND_TOTP && command.slot == 2);
  char bad_totp[] = "totp 4";
  CHECK(hotp_parse(bad_totp).kind == HOTP_COMMAND_ERROR);
}

static void lines(void) {
  hotp_line_t line = { 0 };
  const char typed[] = "\x1b" "B0se\x1b[Ax\x7ft\x1bOP \x1b" "B30\r";
  hotp_line_event_t last = HOTP_LINE_PENDING;
  for (size_t i = 0; i < sizeof(typed) - 1; i++) last = hotp_line_push(&line, (uint8_t)typed[i]);
  CHECK(last == HOTP_LINE_DONE && strcmp(line.text, "set 0") == 0);
  const char cut_short[] = "\x1b" "Bset\r";
  for (size_t i = 0; i < sizeof(cut_short) - 1; i++) last = hotp_line_push(&line, (uint8_t)cut_short[i]);
  CHECK(last == HOTP_LINE_DONE && strcmp(line.text, "set") == 0);
  const char unfinished[] = "\x1b[1\rset\r";
  for (size_t i = 0; i < sizeof(unfinished) - 1; i++) last = hotp_line_push(&line, (uint8_t)unfinished[i]);
  CHECK(last == HOTP_LINE_DONE && strcmp(line.text, "set") == 0);
  for (int i = 0; i < HOTP_MAX_LINE + 1; i++) hotp_line_push(&line, 'a');
  CHECK(hotp_line_push(&line, '\r') == HOTP_LINE_TOO_LONG);
  CHECK(hotp_line_push(&line, 'x') == HOTP_LINE_PENDING);
  CHECK(hotp_line_push(&line, '\n') == HOTP_LINE_DONE && strcmp(line.text, "x") == 0);
}

int main(void) {
  lines();
  rfc_4226_appendix_d();
  rfc_6238_appendix_b();
  base32();
  records_and_commands();
  if (failures != 0) {
    printf("hotp logic: %d check(s) failed\n", failures);
    return 1;
  }
  printf("hotp logic: ok\n");
  return 0;
}
