// Synchronous real-time clock (upstream libtock-c's names).
#pragma once

#include <libtock/rtc.h>

#ifdef __cplusplus
extern "C" {
#endif

bool libtocksync_rtc_exists(void);
// Reads the clock into `date`.
returncode_t libtocksync_rtc_get_date(libtock_rtc_date_t* date);
// Sets the clock to `date`.
returncode_t libtocksync_rtc_set_date(const libtock_rtc_date_t* date);
// Ours: seconds since 1970-01-01 00:00:00 now (EFAIL before 1970).
returncode_t libtocksync_rtc_unix_seconds(uint64_t* seconds);

#ifdef __cplusplus
}
#endif
