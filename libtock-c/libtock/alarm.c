#include "alarm.h"

#define ALARM_COMMAND_FREQUENCY 1
#define ALARM_COMMAND_READ 2
#define ALARM_COMMAND_STOP 3
#define ALARM_COMMAND_SET_RELATIVE 5
#define ALARM_COMMAND_SET_ABSOLUTE 6

bool libtock_alarm_exists(void) {
  return driver_exists(DRIVER_NUM_ALARM);
}

returncode_t libtock_alarm_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_ALARM, LIBTOCK_ALARM_UPCALL_FIRED, upcall, opaque));
}

returncode_t libtock_alarm_command_get_frequency(uint32_t* frequency_hz) {
  return tock_command_return_u32_to_returncode(
    command(DRIVER_NUM_ALARM, ALARM_COMMAND_FREQUENCY, 0, 0), frequency_hz);
}

returncode_t libtock_alarm_command_read(uint32_t* now_ticks) {
  return tock_command_return_u32_to_returncode(
    command(DRIVER_NUM_ALARM, ALARM_COMMAND_READ, 0, 0), now_ticks);
}

returncode_t libtock_alarm_command_stop(void) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_ALARM, ALARM_COMMAND_STOP, 0, 0));
}

returncode_t libtock_alarm_command_set_relative(uint32_t dt_ticks, uint32_t* expiration) {
  return tock_command_return_u32_to_returncode(
    command(DRIVER_NUM_ALARM, ALARM_COMMAND_SET_RELATIVE, (int)dt_ticks, 0), expiration);
}

returncode_t libtock_alarm_command_set_absolute(uint32_t reference, uint32_t dt_ticks,
                                               uint32_t* expiration) {
  return tock_command_return_u32_to_returncode(
    command(DRIVER_NUM_ALARM, ALARM_COMMAND_SET_ABSOLUTE, (int)reference, (int)dt_ticks),
    expiration);
}

returncode_t libtock_alarm_ms_to_ticks(uint32_t ms, uint32_t* ticks) {
  uint32_t frequency;
  returncode_t ret = libtock_alarm_command_get_frequency(&frequency);
  if (ret != RETURNCODE_SUCCESS) return ret;
  uint64_t result = ((uint64_t)ms * frequency) / 1000;
  // Keep below half the counter range so ordering by (now - reference) holds.
  *ticks = result > 0x7FFFFFFFu ? 0x7FFFFFFFu : (uint32_t)result;
  return RETURNCODE_SUCCESS;
}

returncode_t libtock_alarm_ticks_to_ms(uint32_t ticks, uint32_t* ms) {
  uint32_t frequency;
  returncode_t ret = libtock_alarm_command_get_frequency(&frequency);
  if (ret != RETURNCODE_SUCCESS) return ret;
  if (frequency == 0) return RETURNCODE_FAIL;
  uint64_t result = ((uint64_t)ticks * 1000) / frequency;
  *ms = result > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)result;
  return RETURNCODE_SUCCESS;
}
