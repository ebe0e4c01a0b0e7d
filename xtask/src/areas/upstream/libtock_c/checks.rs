//! Checks of what upstream apps print that a plain text match cannot
//! express: numbers that must lie in a range, facts spread over several
//! lines. Each takes a line (or the whole output) and says whether it
//! passes; `boots.rs` names them in its steps.

/// `Current stack pointer: 0x...` inside `[ram, ram + stack]`.
fn stack_pointer_within(line: &str, ram: u32, stack: u32) -> bool {
    let Some(hex) = line.strip_prefix("Current stack pointer: 0x") else {
        return false;
    };
    let top = (ram + stack + 7) & !7;
    u32::from_str_radix(hex, 16).is_ok_and(|pointer| pointer > ram && pointer <= top)
}

/// stack_size_test01 (STACK_SIZE 900) in slot 0.
pub fn first_slot_stack_pointer(line: &str) -> bool {
    stack_pointer_within(line, 0x8001_0000, 900)
}

/// stack_size_test02 (STACK_SIZE 9001) in slot 1.
pub fn second_slot_stack_pointer(line: &str) -> bool {
    stack_pointer_within(line, 0x8002_0000, 9001)
}

/// `<id> <now> <expiration>` from the multi-alarm tests: alarm `id` fired,
/// not before it was due and at most `late` ticks after. The counter
/// wraps (15 s after boot on qemu-rv32-virt), so "after" is the wrapping
/// distance: less than half the range. The process console's prompt may
/// start the line (it is printed without a line end).
fn alarm_fired_within(line: &str, id: &str, late: u32) -> bool {
    let line = line.strip_prefix(PROMPT).unwrap_or(line);
    let fields: Vec<&str> = line.split(' ').collect();
    let [first, now, expiration] = fields[..] else {
        return false;
    };
    match (now.parse::<u32>(), expiration.parse::<u32>()) {
        (Ok(now), Ok(expiration)) => first == id && now.wrapping_sub(expiration) <= late,
        _ => false,
    }
}

/// The process console's prompt.
const PROMPT: &str = "tock$ ";

/// Half the 32-bit range: any later is earlier.
const ANY_TIME_LATER: u32 = 1 << 31;
/// 100 ms of the 10 MHz counter: an alarm fired by the right expiry, not
/// one a counter wrap later.
const PROMPTLY: u32 = 1_000_000;

pub fn first_alarm_fired(line: &str) -> bool {
    alarm_fired_within(line, "1", ANY_TIME_LATER)
}

pub fn second_alarm_fired(line: &str) -> bool {
    alarm_fired_within(line, "2", ANY_TIME_LATER)
}

pub fn first_alarm_fired_promptly(line: &str) -> bool {
    alarm_fired_within(line, "1", PROMPTLY)
}

pub fn second_alarm_fired_promptly(line: &str) -> bool {
    alarm_fired_within(line, "2", PROMPTLY)
}

/// alarm_in_overflow's verdict: fired no earlier than due (an early fire
/// wraps the unsigned difference) and at most 10 ms late. Upstream's own
/// bound is 1 ms, which holds on hardware; an emulator on a shared host
/// cannot promise it (2 ms seen under load), and 10 ms still catches an
/// alarm that is early or off by a tick-conversion error.
pub fn alarm_on_time(line: &str) -> bool {
    let verdict = line
        .strip_prefix("\tSuccess! Difference of ")
        .or_else(|| line.strip_prefix("\tFailed! Difference of "));
    verdict
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse::<u32>().ok())
        .is_some_and(|milliseconds| milliseconds <= 10)
}

/// The kernel's report of mpu_walk_region's load fault.
const WALK_FAULT: &str = "[kernel] process mpu_walk_region faulted: load access fault at address ";
/// What mpu_walk_region prints when the button makes it overrun.
const OVERRUN: &str = "  ! Will overrun";

/// mpu_walk_region, told to overrun a walk by 0x1000 bytes, faults at the
/// first 0x100 step at or past the end of what it may access (the PMP
/// region must end exactly there), and not before the overrun. `region`
/// is the line naming that range (`app_memory_accessible` or
/// `app_flash`), `walk` the walk that overruns (`Walking memory` or
/// `Walking flash`); the first such overrun counts.
fn overrun_faults_at_the_end(output: &str, region: &str, walk: &str) -> bool {
    let hex = |text: &str| u32::from_str_radix(text.trim_start_matches("0x"), 16).ok();
    let range = output.split_once(region).and_then(|(_, rest)| {
        let (start, end) = rest.lines().next()?.trim().split_once('-')?;
        Some((hex(start)?, hex(end)?))
    });
    let Some((start, end)) = range else {
        return false;
    };
    let Some(overrun) = output.find(&format!("{walk}\n{OVERRUN}")) else {
        return false;
    };
    let Some(at) = output[overrun..].find(WALK_FAULT).map(|at| overrun + at) else {
        return false;
    };
    let address = output[at + WALK_FAULT.len()..]
        .split(|c: char| c == ',' || c.is_whitespace())
        .next()
        .and_then(hex);
    // Every earlier fault came from an earlier overrun: none from a walk
    // that stayed inside its region.
    let before = &output[..overrun];
    let clean_before = before.matches(WALK_FAULT).count() == before.matches(OVERRUN).count();
    let expected = start + (end - start).div_ceil(0x100) * 0x100;
    clean_before && address == Some(expected)
}

pub fn memory_overrun_faults_at_the_end(output: &str) -> bool {
    overrun_faults_at_the_end(output, "app_memory_accessible: ", "Walking memory")
}

pub fn flash_overrun_faults_at_the_end(output: &str) -> bool {
    overrun_faults_at_the_end(output, "app_flash: ", "Walking flash")
}

/// 256 random bytes in hex that are not all the same.
pub fn random_bytes(line: &str) -> bool {
    let Some(hex) = line.strip_prefix("Randomness: ") else {
        return false;
    };
    hex.len() == 512
        && hex.bytes().all(|byte| byte.is_ascii_hexdigit())
        && hex.bytes().any(|byte| byte != hex.as_bytes()[0])
}

/// unit_test_supervisor's line for kv_unit_tests' first test:
/// `<client id>.000: exists<padding to 24> [✓]`.
pub fn first_unit_test_passed(line: &str) -> bool {
    let line = line.strip_prefix(PROMPT).unwrap_or(line);
    let Some((id, rest)) = line.split_once(".000: ") else {
        return false;
    };
    id.parse::<u32>().is_ok() && rest.split_whitespace().eq(["exists", "[✓]"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_checks_accept_what_the_apps_print_and_nothing_else() {
        assert!(first_slot_stack_pointer(
            "Current stack pointer: 0x80010370"
        ));
        assert!(!first_slot_stack_pointer(
            "Current stack pointer: 0x80020370"
        ));
        assert!(second_slot_stack_pointer(
            "Current stack pointer: 0x80022300"
        ));
        assert!(first_alarm_fired("1 5012 5000"));
        assert!(alarm_on_time("\tFailed! Difference of 2 ms (> 1ms)"));
        assert!(alarm_on_time("\tSuccess! Difference of 0 ms"));
        assert!(!alarm_on_time(
            "\tFailed! Difference of 4294967295 ms (> 1ms)"
        ));
        assert!(!first_alarm_fired("1 4999 5000"));
        assert!(
            first_alarm_fired("1 12 4294967290"),
            "fired across the wrap"
        );
        assert!(first_alarm_fired_promptly("1 12 4294967290"));
        assert!(first_alarm_fired_promptly("tock$ 1 4155061032 4155061001"));
        assert!(!second_alarm_fired_promptly("2 4294967290 12"), "early");
        assert!(!second_alarm_fired_promptly("2 2000012 12"), "200 ms late");
        assert!(!second_alarm_fired("1 5012 5000"));
        let random = format!("Randomness: {}", "0123456789abcdef".repeat(32));
        assert!(random_bytes(&random));
        assert!(!random_bytes(&format!("Randomness: {}", "0".repeat(512))));
        let memory = "  app_memory_accessible: 0x80010000-0x80010848\n  app_flash: \
                      0x20040000-0x2004431c\nWalking memory\n  ! Will overrun\n\n0x80010800: \
                      00\n[kernel] process mpu_walk_region faulted: load access fault at \
                      address 0x80010900, pc 0x20040192\n";
        assert!(memory_overrun_faults_at_the_end(memory));
        assert!(!memory_overrun_faults_at_the_end(
            &memory.replace("10900", "10a00")
        ));
        assert!(!flash_overrun_faults_at_the_end(memory));
        let flash = format!(
            "{memory}Walking flash\n  ! Will overrun\n{WALK_FAULT}0x20044400, pc 0x20040192\n"
        );
        assert!(flash_overrun_faults_at_the_end(&flash));
        assert!(!flash_overrun_faults_at_the_end(
            &flash.replace("44400", "44500")
        ));
    }

    #[test]
    fn the_first_unit_test_line_passes_only_with_its_check_mark() {
        let passed = "0.000: exists                   [\u{2713}]";
        assert!(first_unit_test_passed(passed));
        assert!(first_unit_test_passed(&format!("tock$ {passed}")));
        assert!(!first_unit_test_passed(
            "0.000: exists                   [FAILED] x"
        ));
        assert!(!first_unit_test_passed(
            "0.001: set_get                  [\u{2713}]"
        ));
    }
}
