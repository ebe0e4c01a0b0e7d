//! Checks for `more_boots.rs`: where the apps that fault on purpose must
//! fault (the kernel's report against what the app printed before), and
//! the RTC's date.

/// The kernel's report of a process fault, up to the address.
fn fault_prefix(app: &str) -> String {
    format!("[kernel] process {app} faulted: ")
}

fn hex(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// The kind (`load access fault`) and address of `app`'s first fault.
fn first_fault<'a>(output: &'a str, app: &str) -> Option<(&'a str, u32)> {
    let prefix = fault_prefix(app);
    let at = output.find(&prefix)? + prefix.len();
    let (kind, rest) = output[at..].split_once(" at address ")?;
    let address = rest.split([',', ' ', '\r', '\n']).next().and_then(hex)?;
    Some((kind, address))
}

/// The first value printed after `label` (a `0x...` address), anywhere.
fn printed_address(output: &str, label: &str) -> Option<u32> {
    let at = output.find(label)? + label.len();
    output[at..]
        .split([',', ' ', '\r', '\n'])
        .find(|word| !word.is_empty())
        .and_then(hex)
}

/// `app` loaded from `byte - 1` (printed `Address: <byte - 1>, value`)
/// and then faulted loading `byte`: the region ends exactly there.
fn load_fault_right_after_last_read(output: &str, app: &str) -> bool {
    match first_fault(output, app) {
        Some(("load access fault", address)) => {
            let last_read = format!("Address: {:#x}, value", address.wrapping_sub(1));
            output.contains(&last_read)
        }
        _ => false,
    }
}

/// register-debug loads x1..x31 with 0xabc04321..0xabc0433f and stores:
/// the kernel's register report after the fault shows every value.
pub fn every_register_value_printed(output: &str) -> bool {
    let Some(at) = output.find(&fault_prefix("register-debug")) else {
        return false;
    };
    let report = &output[at..];
    (0xabc0_4321u32..=0xabc0_433f).all(|value| report.contains(&format!("{value:#010x}")))
}

/// mpu_flash_end read the last byte of its flash and faulted on the next.
pub fn fault_one_past_last_flash_byte(output: &str) -> bool {
    load_fault_right_after_last_read(output, "mpu_flash_end")
}

/// mpu_heap_end read up to the end of its accessible RAM and faulted on
/// the next byte.
pub fn fault_one_past_last_byte(output: &str) -> bool {
    load_fault_right_after_last_read(output, "mpu_heap_end")
}

/// mpu_ram_end's last RAM byte lies in the kernel's grant memory: the load
/// faults at exactly the address it printed.
pub fn fault_at_printed_ram_end(output: &str) -> bool {
    let printed = printed_address(output, "Reading last byte in RAM, address ");
    matches!(
        (first_fault(output, "mpu_ram_end"), printed),
        (Some(("load access fault", address)), Some(expected)) if address == expected
    )
}

/// mpu_stack_growth's stack (at the bottom of its RAM) grows past the
/// RAM's start: a store faults below the `mem_start` it printed.
pub fn stack_growth_faults_below_ram(output: &str) -> bool {
    let start = printed_address(output, "  mem_start:");
    matches!(
        (first_fault(output, "mpu_stack_growth"), start),
        (Some(("store access fault", address)), Some(start)) if address < start
    )
}

/// rtc sets 2023-01-01 12:30:01, weekday Monday, waits two seconds and
/// prints the date: two to four seconds later (the wait may run long, the
/// RTC counts whole seconds), weekday Sunday (0): the day that date is,
/// since the RTC keeps time since the epoch, not a weekday register.
pub fn dated_two_seconds_after_setting(line: &str) -> bool {
    let line = line.trim_start_matches("tock$ ");
    let Some(rest) = line.strip_prefix(
        "Date: {year: 2023, month: 1, day: 1, day_of_week: 0, hour: 12, minute: 30, seconds: ",
    ) else {
        return false;
    };
    rest.strip_suffix('}')
        .and_then(|seconds| seconds.parse::<u32>().ok())
        .is_some_and(|seconds| (3..=5).contains(&seconds))
}

/// mpu_no_libc's start-up registers as it printed them over low-level
/// debug (`prints 0x2 <a1>`, `prints 0x4 <a3>`): RAM start and initial
/// break are equal (an app brks before it touches RAM, as upstream's
/// current kernel starts it), so its step 7, which reads one word before
/// comparing with the break, faults at exactly that address.
pub fn no_libc_faults_reading_at_its_break(output: &str) -> bool {
    let ram_start = printed_address(output, "prints 0x2 ");
    let initial_break = printed_address(output, "prints 0x4 ");
    matches!(
        (first_fault(output, "mpu_no_libc"), ram_start, initial_break),
        (Some(("load access fault", address)), Some(start), Some(brk))
            if start == brk && address == start
    )
}

/// The process console's `list` line for bare_bones: alive, waiting in
/// the one yield it made, never restarted.
pub fn bare_bones_waits_in_its_one_yield(line: &str) -> bool {
    let fields: Vec<&str> = line.split_whitespace().collect();
    // PID ShortID Name Quanta Syscalls Restarts Grants State
    matches!(fields[..], [_, _, "bare_bones", _, "1", "0", _, "Yielded"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_fault_one_past_the_last_printed_byte_passes() {
        let output = "Address: 0x2004ffff, value: 00\n\r\n[kernel] process mpu_flash_end \
                      faulted: load access fault at address 0x20050000, pc 0x20040100\r\n";
        assert!(fault_one_past_last_flash_byte(output));
        let early = output.replace("0x20050000", "0x2004fff0");
        assert!(!fault_one_past_last_flash_byte(&early));
        let store = output.replace("load access", "store access");
        assert!(!fault_one_past_last_flash_byte(&store));
    }

    #[test]
    fn the_ram_end_fault_must_be_at_the_printed_address() {
        let output = "Reading last byte in RAM, address 0x8001ffff\n[kernel] process \
                      mpu_ram_end faulted: load access fault at address 0x8001ffff, pc 0x1\r\n";
        assert!(fault_at_printed_ram_end(output));
        assert!(!fault_at_printed_ram_end(
            &output.replace("address 0x8001ffff, pc", "address 0x80020000, pc")
        ));
    }

    #[test]
    fn the_stack_must_fault_below_its_ram() {
        let output = "  mem_start:           0x80010000\n[kernel] process mpu_stack_growth \
                      faulted: store access fault at address 0x8000fff0, pc 0x1\r\n";
        assert!(stack_growth_faults_below_ram(output));
        assert!(!stack_growth_faults_below_ram(
            &output.replace("0x8000fff0", "0x80010010")
        ));
    }

    #[test]
    fn every_register_value_must_appear_after_the_fault() {
        let values: String = (0xabc0_4321u32..=0xabc0_433f)
            .map(|value| format!(" {value:#010x}"))
            .collect();
        let fault = "[kernel] process register-debug faulted: store access fault";
        assert!(every_register_value_printed(&format!("{fault}{values}")));
        let missing = values.replace("0xabc04330", "0x00000000");
        assert!(!every_register_value_printed(&format!("{fault}{missing}")));
        assert!(!every_register_value_printed(&format!("{values}{fault}")));
    }

    #[test]
    fn no_libc_must_fault_at_its_printed_break() {
        let output = "LowLevelDebug: App 0x2 prints 0x2 0x80030000\nLowLevelDebug: App 0x2 \
                      prints 0x4 0x80030000\n[kernel] process mpu_no_libc faulted: load access \
                      fault at address 0x80030000, pc 0x1\r\n";
        assert!(no_libc_faults_reading_at_its_break(output));
        let later = output.replace("address 0x80030000", "address 0x80030400");
        assert!(!no_libc_faults_reading_at_its_break(&later));
    }

    #[test]
    fn bare_bones_must_have_made_one_syscall_and_wait() {
        let line =
            " 3      Unique     bare_bones          0       1         0         0/8     Yielded";
        assert!(bare_bones_waits_in_its_one_yield(line));
        assert!(!bare_bones_waits_in_its_one_yield(
            &line.replace("Yielded", "Faulted")
        ));
        assert!(!bare_bones_waits_in_its_one_yield(
            &line.replace("0       1   ", "0       2   ")
        ));
    }

    #[test]
    fn the_rtc_date_must_be_the_one_set_plus_the_wait() {
        let date = |seconds: u32| {
            format!(
                "Date: {{year: 2023, month: 1, day: 1, day_of_week: 0, hour: 12, minute: 30, \
                 seconds: {seconds}}}"
            )
        };
        assert!(dated_two_seconds_after_setting(&date(3)));
        assert!(!dated_two_seconds_after_setting(&date(1)));
        assert!(!dated_two_seconds_after_setting(&date(9)));
        assert!(!dated_two_seconds_after_setting(
            &date(3).replace("2023", "2024")
        ));
    }
}
