// The one way libtock-sync waits: yield-wait-for on (driver, subscribe).
//
// A do-nothing upcall is subscribed first, so the kernel has an upcall to
// deliver on kernels that drop events for null upcalls; yield-wait-for then
// hands back its arguments instead of calling it (TRD104 yield 2).
#pragma once

#include <libtock/tock.h>

#ifdef __cplusplus
extern "C" {
#endif

// Subscribes the do-nothing upcall to (driver, subscribe_number); call it
// before starting the operation so an early event is queued, not dropped.
returncode_t libtocksync_prepare_wait(uint32_t driver, uint32_t subscribe_number);
// Blocks until that upcall fires and returns its three arguments.
yield_waitfor_return_t libtocksync_wait(uint32_t driver, uint32_t subscribe_number);

#ifdef __cplusplus
}
#endif
