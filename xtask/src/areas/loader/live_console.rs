//! The console on the shared link: an app that prints byte 0xFC (the
//! protocol's ESC) is read by `loader listen` as that one byte, because
//! the kernel's loader service doubles it on the way out and the host's
//! decoder undoes the doubling.

use super::live::LiveBench;
use super::live_bench::build_c_app;
use anyhow::{ensure, Context as _, Result};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Prints `esc:` 0xFC `!` with raw syscalls (console allow and write
/// command, then a yield-no-wait that takes the write's upcall), again and
/// again, using no stack.
const ESCAPE_APP_C: &str = r#"#include <stdint.h>
static const uint8_t message[] = {'e', 's', 'c', ':', 0xfc, '!', '\r', '\n'};
static inline uint32_t syscall(uint32_t class, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  register uint32_t r0 asm("a0") = a0;
  register uint32_t r1 asm("a1") = a1;
  register uint32_t r2 asm("a2") = a2;
  register uint32_t r3 asm("a3") = a3;
  register uint32_t r4 asm("a4") = class;
  asm volatile("ecall" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) : "r"(r4) : "memory");
  return r0;
}
__attribute__((section(".text._start"), noreturn)) void _start(void) {
  for (;;) {
    syscall(4, 1, 1, (uint32_t)message, sizeof message);
    syscall(2, 1, 1, sizeof message, 0);
    for (uint32_t i = 0; i < 100000; i++) { asm volatile(""); }
    syscall(0, 0, 0, 0, 0);
  }
}
"#;

/// What `listen` must print: the message with one 0xFC.
const EXPECTED: &[u8] = b"esc:\xfc!\r\n";

/// Builds the app, installs it into a fresh live kernel and listens.
pub fn escape_byte_reaches_listen_once(bench: &LiveBench) -> Result<()> {
    let dir = bench.scratch().join("escape");
    std::fs::create_dir_all(&dir).context("creating the escape app's directory")?;
    let tab = build_c_app(&dir, ESCAPE_APP_C, "escape")?;
    bench.fresh_flash()?;
    let (_qemu, port) = bench.boot_for_loader()?;
    bench.loader(&["install", &tab.to_string_lossy()], &port)?;
    let heard = listen_until(bench, &port, EXPECTED, Duration::from_secs(10))?;
    ensure!(
        !heard.windows(2).any(|w| w == [0xfc, 0xfc]),
        "`loader listen` printed a doubled 0xFC: {:?}",
        String::from_utf8_lossy(&heard)
    );
    Ok(())
}

/// Runs `loader listen` until it has printed `wanted` (or `timeout`);
/// what it printed.
fn listen_until(
    bench: &LiveBench,
    port: &str,
    wanted: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>> {
    let mut child = Command::new(bench.loader_path())
        .args(["listen", "--port", port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting `loader listen`")?;
    let mut stdout = child.stdout.take().context("no stdout")?;
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 256];
        while let Ok(count) = stdout.read(&mut buffer) {
            if count == 0 || send.send(buffer[..count].to_vec()).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut heard = Vec::new();
    while !heard.windows(wanted.len()).any(|w| w == wanted) && Instant::now() < deadline {
        if let Ok(bytes) = receive.recv_timeout(Duration::from_millis(100)) {
            heard.extend_from_slice(&bytes);
        }
    }
    let _ = child.kill();
    let output = child
        .wait_with_output()
        .context("waiting for `loader listen`")?;
    ensure!(
        heard.windows(wanted.len()).any(|w| w == wanted),
        "`loader listen` did not print the app's 0xFC once: {:?} (its errors: {})",
        String::from_utf8_lossy(&heard),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(heard)
}
