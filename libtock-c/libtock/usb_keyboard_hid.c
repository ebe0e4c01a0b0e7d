#include "usb_keyboard_hid.h"

bool libtock_usb_keyboard_hid_exists(void) {
  return driver_exists(DRIVER_NUM_USB_KEYBOARD_HID);
}

returncode_t libtock_usb_keyboard_hid_set_send_allow(uint8_t* report, uint32_t length) {
  return tock_allow_rw_return_to_returncode(
    allow_readwrite(DRIVER_NUM_USB_KEYBOARD_HID, 1, report, length));
}

returncode_t libtock_usb_keyboard_hid_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_USB_KEYBOARD_HID, LIBTOCK_USB_KEYBOARD_HID_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_usb_keyboard_hid_command_send(void) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_USB_KEYBOARD_HID, 1, 0, 0));
}

static void report_done(int unused0, int unused1, int unused2, void* opaque) {
  (void)unused0;
  (void)unused1;
  (void)unused2;
  libtock_usb_keyboard_hid_callback callback = (libtock_usb_keyboard_hid_callback)opaque;
  callback(RETURNCODE_SUCCESS);
}

returncode_t libtock_usb_keyboard_hid_send(uint8_t* report, uint32_t length,
                                           libtock_usb_keyboard_hid_callback callback) {
  returncode_t ret = libtock_usb_keyboard_hid_set_upcall(report_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_usb_keyboard_hid_set_send_allow(report, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_usb_keyboard_hid_command_send();
}
