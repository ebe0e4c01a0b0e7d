//! The boots of upstream's isolated non-volatile storage tests (driver
//! 0x50004), unmodified, each alone (their lines come out in pieces that
//! another app's output could split). Each app's region is an erase block
//! less the driver's 16-byte header: 262,128 bytes. invs_no_permission
//! needs a signed app and has its own runner (`storage_refusal.rs`).

use super::script::{Boot, Step};

/// Upstream's words for a failed case (its case names hold "Fail" too),
/// and ours for a fault or panic.
const MARKERS: &[&str] = &[": Fail\n", "FAIL", "faulted", "panicked", "Panic"];

/// Every case of invs_single passes, in its order.
const SINGLE: &[Step] = &[
    Step::Text(&["[TEST] Isolated Nonvolatile Storage - Single\n"]),
    Step::Text(&["[INVS TEST] Exists: Success\n"]),
    Step::Text(&["[INVS TEST] Size: Success\n"]),
    Step::Text(&["[INVS TEST] Read: Success\n"]),
    Step::Text(&["[INVS TEST] Read Zero Buffer: Success\n"]),
    Step::Text(&["[INVS TEST] Read Fail No Allow: Success\n"]),
    Step::Text(&["[INVS TEST] Read Fail Not Within Region: Success\n"]),
    Step::Text(&["[INVS TEST] Write: Success\n"]),
    Step::Text(&["[INVS TEST] Write Zero Buffer: Success\n"]),
    Step::Text(&["[INVS TEST] Write Fail No Allow: Success\n"]),
    Step::Text(&["[INVS TEST] Write Fail Not Within Region: Success\n"]),
    Step::Text(&["process invs_single exited with status 0"]),
];

/// invs_read_write: writes that read back, up to the region's last byte,
/// and three writes outside it refused with EINVAL (-6), which upstream
/// prints as `ERROR` lines and counts as passing.
const READ_WRITE: &[Step] = &[
    Step::Text(&["[TEST] Isolated Nonvolatile Storage\n"]),
    Step::Text(&["Have 262128 bytes of nonvolatile storage\n"]),
    Step::Text(&["\tTest with read size 14 and write size 256 ...\n"]),
    Step::Text(&["\tTest with read size 14 and write size 256 ...\n"]),
    Step::Text(&["\tTest with read size 512 and write size 512 ...\n"]),
    Step::Text(&["Write to end of region (offset 261616)\n"]),
    Step::Text(&["\tTest with read size 512 and write size 500 ...\n"]),
    Step::Text(&["Write beyond end region, should fail (offset 262128)\n"]),
    Step::Text(&["\tERROR calling write. returncode: -6\n"]),
    Step::Text(&["Write starts beyond end region, should fail (offset 262129)\n"]),
    Step::Text(&["\tERROR calling write. returncode: -6\n"]),
    Step::Text(&["Write starts before start region, should fail (offset -1)\n"]),
    Step::Text(&["\tERROR calling write. returncode: -6\n"]),
    Step::Text(&["All tests succeeded\n"]),
    Step::Text(&["process invs_read_write exited with status 0"]),
];

/// The storage boots, run after `more_boots::BOOTS`.
pub const BOOTS: &[Boot] = &[
    Boot {
        name: "invs_single",
        apps: &["invs_single"],
        lanes: &[("invs_single", SINGLE)],
        failure_markers: MARKERS,
        any_exit_status: false,
    },
    Boot {
        name: "invs_read_write",
        apps: &["invs_read_write"],
        lanes: &[("invs_read_write", READ_WRITE)],
        failure_markers: &[
            "Inconsistency",
            "Failed with code",
            "ERROR calling read",
            "faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
];
