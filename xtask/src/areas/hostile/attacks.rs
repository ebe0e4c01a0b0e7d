//! Attack apps, one test each: every app runs beside the guardian (which
//! checks its own memory and ends the run once the attacker is gone), and
//! the test asserts on how the kernel stopped the attack and that the
//! guardian went on intact.

use super::fuzzer::guardian_rounds;
use crate::areas::kernel::image;
use crate::areas::kernel::scenarios::{spawn, Bench};
use anyhow::{ensure, Context as _, Result};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

/// How the kernel must stop an attack.
pub enum Stopped {
    /// The PMP faults the process with this cause (after the lines, if
    /// any, it printed first); the fault policy then stops it for good.
    Fault(&'static str, &'static [&'static str]),
    /// The kernel refuses what the process asks; it prints these lines
    /// and ends normally.
    Refused(&'static [&'static str]),
    /// The process blocks for ever; the guardian must keep running until
    /// the process console terminates it.
    Blocked,
}

/// One attack: its test name, app and expected outcome.
pub struct Attack {
    /// The test's name (`hostile:NAME` selects it).
    pub name: &'static str,
    /// The attacking test app.
    pub app: &'static str,
    /// How the kernel must stop it.
    pub stopped: Stopped,
}

/// Every attack.
pub const ATTACKS: &[Attack] = &[
    attack(
        "reading_kernel_memory_faults_the_attacker",
        "fault_kernel_ram",
        Stopped::Fault("load access fault", &[]),
    ),
    attack(
        "writing_kernel_memory_faults_the_attacker",
        "attack_write_kernel",
        Stopped::Fault("store access fault", &[]),
    ),
    attack(
        "reading_another_process_memory_faults_the_attacker",
        "fault_other_process",
        Stopped::Fault("load access fault", &[]),
    ),
    attack(
        "writing_another_process_memory_faults_the_attacker",
        "attack_write_other",
        Stopped::Fault("store access fault", &[]),
    ),
    attack(
        "reading_the_grant_region_faults_the_attacker",
        "fault_grant_region",
        Stopped::Fault("load access fault", &[]),
    ),
    attack(
        "reading_mmio_faults_the_attacker",
        "fault_mmio",
        Stopped::Fault("load access fault", &[]),
    ),
    attack(
        "writing_its_own_flash_faults_the_attacker",
        "attack_write_flash",
        Stopped::Fault("store access fault", &[]),
    ),
    attack(
        "jumping_into_kernel_code_faults_the_attacker",
        "attack_jump_kernel",
        Stopped::Fault("instruction access fault", &[]),
    ),
    attack(
        "exhausting_the_stack_faults_the_attacker",
        "fault_stack_overflow",
        Stopped::Fault("store access fault", &[]),
    ),
    attack(
        "exhausting_the_heap_is_refused_then_faults_past_the_break",
        "attack_heap",
        Stopped::Fault(
            "store access fault",
            &["attack_heap: every break past the limits refused"],
        ),
    ),
    attack(
        "exhausting_the_grant_region_is_refused_with_nomem",
        "grant_hog",
        Stopped::Refused(&["grant_hog: subscribe after exhaustion: NOMEM"]),
    ),
    attack(
        "exhausting_the_upcall_queues_is_refused_with_busy",
        "attack_upcall_queue",
        Stopped::Refused(&["attack_upcall_queue: queue exhaustion refused cleanly"]),
    ),
    attack(
        "overlapping_allows_never_write_outside_them",
        "attack_overlapping_allows",
        Stopped::Refused(&["attack_overlapping_allows: canaries intact"]),
    ),
    attack(
        "subscribe_and_allow_storms_leave_the_kernel_serving",
        "attack_storm",
        Stopped::Refused(&["attack_storm: the kernel still serves this process"]),
    ),
    attack(
        "waiting_for_an_upcall_that_never_comes_blocks_only_the_waiter",
        "attack_wait_forever",
        Stopped::Blocked,
    ),
];

const fn attack(name: &'static str, app: &'static str, stopped: Stopped) -> Attack {
    Attack { name, app, stopped }
}

/// Runs `attack` beside the guardian; `Ok` if the kernel stopped it as
/// expected and the guardian went on intact.
pub fn run(bench: &mut Bench, attack: &Attack) -> Result<()> {
    let mut tbfs = vec![bench.tbf("guardian")?, bench.tbf(attack.app)?];
    // The flash chain is in slot order (the reused fault apps come first).
    tbfs.sort_by_key(|tbf| image::fixed_tbf_address(tbf).unwrap_or(u64::MAX));
    let flash = bench.flash_path(&format!("attack-{}", attack.app))?;
    image::write_flash_file(&flash, bench.kernel(), &tbfs)?;
    let mut qemu = spawn(&flash)?;
    if let Stopped::Blocked = attack.stopped {
        let waiting = format!("{}: waiting", attack.app);
        qemu.expect(&waiting, TIMEOUT)?;
        let rounds_then = guardian_rounds(&qemu.output())?;
        wait_for_rounds(&qemu, rounds_then + 3)?;
        qemu.send(format!("terminate {}\r", attack.app).as_bytes())?;
    }
    let exit = qemu.wait(TIMEOUT)?;
    let output = &exit.output;
    ensure!(
        !output.contains("ISOLATION BROKEN") && !output.contains("[kernel] PANIC"),
        "isolation broke or the kernel panicked:\n{output}"
    );
    let faulted = format!("[kernel] process {} faulted", attack.app);
    match attack.stopped {
        Stopped::Fault(cause, lines) => {
            let report = format!("{faulted}: {cause}");
            let stopped = format!("[kernel] process {} stopped after fault", attack.app);
            for line in lines
                .iter()
                .copied()
                .chain([report.as_str(), stopped.as_str()])
            {
                ensure!(output.contains(line), "{line:?} is missing:\n{output}");
            }
        }
        Stopped::Refused(lines) => {
            ensure!(
                !output.contains(&faulted),
                "the attacker faulted instead:\n{output}"
            );
            for line in lines {
                ensure!(output.contains(line), "{line:?} is missing:\n{output}");
            }
        }
        Stopped::Blocked => {}
    }
    let rounds = guardian_rounds(output).with_context(|| format!("serial output:\n{output}"))?;
    ensure!(
        rounds >= 1,
        "the guardian never completed a round:\n{output}"
    );
    ensure!(
        exit.code == 0,
        "QEMU ended with {} (guardian: 2 corrupted, 3 bad answer):\n{output}",
        exit.code
    );
    Ok(())
}

fn wait_for_rounds(qemu: &crate::qemu::Qemu, rounds: u64) -> Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    while guardian_rounds(&qemu.output())? < rounds {
        ensure!(
            Instant::now() < deadline,
            "the guardian stalled below {rounds} rounds while another process waited:\n{}",
            qemu.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
