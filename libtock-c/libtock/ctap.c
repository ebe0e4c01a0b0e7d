#include "ctap.h"

bool libtock_ctap_exists(void) {
  return driver_exists(DRIVER_NUM_CTAP);
}

returncode_t libtock_ctap_set_receive_allow(uint8_t* packet, uint32_t length) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(DRIVER_NUM_CTAP, 0, packet, length));
}

returncode_t libtock_ctap_set_send_allow(uint8_t* packet, uint32_t length) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(DRIVER_NUM_CTAP, 1, packet, length));
}

returncode_t libtock_ctap_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_CTAP, LIBTOCK_CTAP_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_ctap_command(uint32_t number) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_CTAP, number, 0, 0));
}

static void ctap_done(int direction, int unused1, int unused2, void* opaque) {
  (void)unused1;
  (void)unused2;
  libtock_ctap_callback callback = (libtock_ctap_callback)opaque;
  callback(direction == 0 ? LIBTOCK_CTAP_RECEIVED : LIBTOCK_CTAP_SENT);
}

returncode_t libtock_ctap_send(uint8_t* packet, uint32_t length, libtock_ctap_callback callback) {
  returncode_t ret = libtock_ctap_set_upcall(ctap_done, (void*)callback);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_ctap_set_send_allow(packet, length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_ctap_command(1);
  return ret;
}

returncode_t libtock_ctap_receive(uint8_t* packet, uint32_t length, libtock_ctap_callback callback) {
  returncode_t ret = libtock_ctap_set_upcall(ctap_done, (void*)callback);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_ctap_set_receive_allow(packet, length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_ctap_command(2);
  return ret;
}

returncode_t libtock_ctap_cancel_receive(void) {
  return libtock_ctap_command(4);
}
