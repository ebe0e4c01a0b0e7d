//! The upstream libtock-c apps no boot runs, each with its exact reason,
//! and the check that every app in the snapshot is either built
//! (`build::APPS`) or listed here.

use super::build::APPS;
use anyhow::{ensure, Context as _, Result};
use std::path::Path;

const NO_RADIO: &str = "needs a BLE radio (nRF5x): QEMU's virt machine has none";
const NO_802154: &str = "needs an IEEE 802.15.4 radio (0x30001): QEMU's virt machine has none";
const NO_UDP: &str = "needs UDP (0x30002) over a 6LoWPAN/802.15.4 radio: QEMU's virt machine \
                      has no such radio";
const NO_ADC: &str = "needs an ADC (0x5): QEMU's virt machine has none";
const NO_SCREEN: &str = "needs a screen (0x90001) and the u8g2 library (not in the snapshot); \
                         QEMU could offer virtio-gpu or ramfb, we have no driver for either yet";
const NO_I2C: &str = "needs an I2C controller (0x20003/0x20006) and a peer device on the bus: \
                      QEMU's virt machine has neither";
const NO_LORA: &str = "needs an LR1110 LoRa/Wi-Fi radio on SPI and GPIO (0x30003, 0x30004) and \
                       the lr1110 library (not in the snapshot): QEMU has no such radio";
const NO_FLASH_STORAGE_DRIVER_YET: &str = "needs a flash-storage driver QEMU's pflash could back; \
                                           we have not written it yet (issue 15, left to do)";

/// Upstream app directories (relative to the snapshot) that no boot
/// runs, with the reason.
pub const NOT_RUN: &[(&str, &str)] = &[
    ("examples/services/ble-env-sense", NO_RADIO),
    ("examples/services/ble-env-sense/test", NO_RADIO),
    (
        "examples/services/ble-env-sense/test-with-sensors",
        "needs a BLE radio and temperature/humidity sensors: QEMU's virt machine has neither",
    ),
    ("examples/tests/adc/adc", NO_ADC),
    ("examples/tests/adc/adc_continuous", NO_ADC),
    ("examples/tests/adc/adc_double_buffered", NO_ADC),
    ("examples/tests/adc/adc_single_buffered", NO_ADC),
    ("examples/tests/adc/adc_single_samples", NO_ADC),
    (
        "examples/tests/ambient_light",
        "needs an ambient-light sensor (0x60002): QEMU has none",
    ),
    (
        "examples/tests/analog_comparator",
        "needs an analog comparator (0x7): QEMU's virt machine has none",
    ),
    ("examples/tests/ble/ble_advertise", NO_RADIO),
    ("examples/tests/ble/ble_gap_library", NO_RADIO),
    (
        "examples/tests/ble/ble_nrf5x_concurrency/Advertiser1",
        NO_RADIO,
    ),
    (
        "examples/tests/ble/ble_nrf5x_concurrency/Advertiser2",
        NO_RADIO,
    ),
    (
        "examples/tests/ble/ble_nrf5x_concurrency/Advertiser3",
        NO_RADIO,
    ),
    (
        "examples/tests/ble/ble_nrf5x_concurrency/Advertiser4",
        NO_RADIO,
    ),
    ("examples/tests/ble/ble_test_tx_power", NO_RADIO),
    (
        "examples/tests/dac",
        "needs a DAC (0x6): QEMU's virt machine has none",
    ),
    (
        "examples/tests/hail",
        "Hail's board test: nRF51 BLE serialization, ADC, ambient light, humidity, \
         temperature, nine-axis sensors: QEMU has none of them",
    ),
    ("examples/tests/i2c/i2c_master_ping_pong", NO_I2C),
    ("examples/tests/i2c/i2c_master_slave_ping_pong", NO_I2C),
    ("examples/tests/ieee802154/radio_ack", NO_802154),
    ("examples/tests/ieee802154/radio_rx", NO_802154),
    ("examples/tests/ieee802154/radio_rxtx", NO_802154),
    ("examples/tests/ieee802154/radio_tx", NO_802154),
    ("examples/tests/ieee802154/radio_tx_raw", NO_802154),
    (
        "examples/tests/imix",
        "imix's board test: nRF51 BLE serialization, ADC, ambient light, humidity, \
         temperature, nine-axis sensors: QEMU has none of them",
    ),
    ("examples/tests/lr1110/lorawan", NO_LORA),
    ("examples/tests/lr1110/wifi_scan", NO_LORA),
    (
        "examples/tests/microbit_v2",
        "micro:bit v2's board test: BLE, ADC, ambient light, temperature, nine-axis and sound \
         sensors, buzzer: QEMU has none of them",
    ),
    (
        "examples/tests/nonvolatile_storage",
        NO_FLASH_STORAGE_DRIVER_YET,
    ),
    (
        "examples/tests/openthread/openthread_timer_test",
        "needs libopenthread (not in the snapshot) and an 802.15.4 radio: QEMU has none",
    ),
    (
        "examples/tests/proximity",
        "needs a proximity sensor (0x60005): QEMU has none",
    ),
    ("examples/tests/screen-tock", NO_SCREEN),
    ("examples/tests/screen/screen_init", NO_SCREEN),
    ("examples/tests/screen/sierpinski_carpet", NO_SCREEN),
    (
        "examples/tests/sdcard",
        "needs an SD card on SPI (0x50002): QEMU's virt machine has no SD or SPI controller",
    ),
    (
        "examples/tests/temperature",
        "needs a temperature sensor (0x60000): QEMU has none",
    ),
    (
        "examples/tests/text_screen",
        "needs a text screen (0x90003), an LCD: QEMU has none",
    ),
    (
        "examples/tests/touch",
        "needs a touch panel (0x90002) and a screen: QEMU's virt machine has neither",
    ),
    ("examples/tests/u8g2-demos/circle", NO_SCREEN),
    ("examples/tests/u8g2-demos/count", NO_SCREEN),
    ("examples/tests/u8g2-demos/graph", NO_SCREEN),
    ("examples/tests/u8g2-demos/increment", NO_SCREEN),
    ("examples/tests/u8g2-demos/led-menu", NO_SCREEN),
    ("examples/tests/u8g2-demos/spin", NO_SCREEN),
    ("examples/tests/u8g2-demos/tock-logo", NO_SCREEN),
    ("examples/tests/u8g2-demos/tock-scroll", NO_SCREEN),
    ("examples/tests/u8g2-demos/triangle", NO_SCREEN),
    ("examples/tests/udp/udp_rx", NO_UDP),
    ("examples/tests/udp/udp_send", NO_UDP),
    ("examples/tests/udp/udp_virt_app_kernel", NO_UDP),
    ("examples/tests/udp/udp_virt_app_tests/app1", NO_UDP),
    ("examples/tests/udp/udp_virt_app_tests/app2", NO_UDP),
    ("examples/tests/udp/udp_virt_rx_tests/app1", NO_UDP),
    ("examples/tests/udp/udp_virt_rx_tests/app2", NO_UDP),
];

/// Every folder under the snapshot's `examples/` with a Makefile.
fn app_directories(upstream: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![upstream.join("examples")];
    while let Some(folder) = pending.pop() {
        let entries =
            std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|name| name == "Makefile") {
                let relative = folder.strip_prefix(upstream)?;
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Fails naming every app of the snapshot that is neither built nor
/// listed in [`NOT_RUN`], and every listed folder that is not an app.
pub fn check_every_app_is_accounted_for(upstream: &Path) -> Result<()> {
    let directories = app_directories(upstream)?;
    let accounted = |directory: &str| {
        APPS.iter().any(|app| app.directory == directory)
            || NOT_RUN.iter().any(|(listed, _)| *listed == directory)
    };
    let missing: Vec<&String> = directories
        .iter()
        .filter(|directory| !accounted(directory))
        .collect();
    let stale: Vec<&str> = NOT_RUN
        .iter()
        .map(|(listed, _)| *listed)
        .filter(|listed| !directories.iter().any(|directory| directory == listed))
        .collect();
    ensure!(
        missing.is_empty() && stale.is_empty(),
        "upstream libtock-c apps neither run nor listed in not_run.rs: {missing:?}; \
         listed but not in the snapshot: {stale:?}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_app_is_both_built_and_listed_as_not_run() {
        for (directory, _) in NOT_RUN {
            assert!(
                !APPS.iter().any(|app| app.directory == *directory),
                "{directory}"
            );
        }
    }

    #[test]
    fn a_snapshot_app_that_is_neither_built_nor_listed_is_named() {
        let root = std::env::temp_dir().join(format!("not-run-{}", std::process::id()));
        let unknown = root.join("examples/tests/unknown_app");
        std::fs::create_dir_all(&unknown).unwrap();
        std::fs::write(unknown.join("Makefile"), "").unwrap();
        let error = check_every_app_is_accounted_for(&root).unwrap_err();
        std::fs::remove_dir_all(&root).unwrap();
        assert!(
            format!("{error}").contains("examples/tests/unknown_app"),
            "{error}"
        );
    }
}
