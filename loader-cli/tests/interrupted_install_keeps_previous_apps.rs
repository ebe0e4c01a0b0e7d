//! An install cut off after any number of writes (the link dropped, the
//! device reset) leaves every app that was installed before intact, byte
//! for byte, and reachable through the chain. Simulated with a transport
//! that fails every write after the first N.

mod common;

use common::{build_tab, scratch, Target};
use loader_cli::progress::Silent;
use loader_cli::{
    load_app, read_chain, Board, Loader, LoaderError, LoaderResult, NewApp, Placement, Replace,
    Transport,
};

/// Flash in memory that refuses writes after a budget runs out.
struct CutAfter {
    base: u32,
    bytes: Vec<u8>,
    budget: Option<usize>,
    writes: usize,
}

impl Transport for CutAfter {
    fn describe(&self) -> String {
        "simulated flash".to_string()
    }

    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        let start = (address - self.base) as usize;
        Ok(self.bytes[start..start + length].to_vec())
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        if self.budget.is_some_and(|budget| self.writes >= budget) {
            return Err(LoaderError::WriteFailed {
                device: self.describe(),
                address,
                reason: "link cut (simulated)".to_string(),
            });
        }
        self.writes += 1;
        let start = (address - self.base) as usize;
        self.bytes[start..start + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }
}

/// (name, address, image bytes) of every app in the chain.
fn snapshot(flash: &mut CutAfter, board: &Board) -> Vec<(String, u32, Vec<u8>)> {
    let chain = read_chain(flash, board.app_address, board.flash_end()).unwrap();
    chain
        .apps()
        .map(|app| {
            let start = (app.address - flash.base) as usize;
            let image = flash.bytes[start..start + app.total_size as usize].to_vec();
            (app.name.clone(), app.address, image)
        })
        .collect()
}

fn run(
    flash: &mut CutAfter,
    board: &Board,
    apps: &[NewApp],
    replace: Replace,
    placement: Placement,
) -> LoaderResult<()> {
    let mut silent = Silent;
    let mut loader = Loader {
        transport: flash,
        board: board.clone(),
        progress: &mut silent,
    };
    loader.install(apps, replace, placement)
}

/// Cut the operation at every write; check the previous apps each time.
fn cut_everywhere(
    start: &CutAfter,
    board: &Board,
    apps: &[NewApp],
    replace: Replace,
    placement: Placement,
) -> usize {
    let mut probe = CutAfter {
        budget: None,
        writes: 0,
        bytes: start.bytes.clone(),
        base: start.base,
    };
    let before = snapshot(&mut probe, board);
    assert!(!before.is_empty(), "the scenario needs installed apps");
    run(&mut probe, board, apps, replace, placement).expect("the uncut install works");
    let total = probe.writes;
    assert!(
        total >= 3,
        "the install should take several writes, took {total}"
    );
    for budget in 0..total {
        let mut flash = CutAfter {
            budget: Some(budget),
            writes: 0,
            bytes: start.bytes.clone(),
            base: start.base,
        };
        let result = run(&mut flash, board, apps, replace, placement);
        assert!(
            result.is_err(),
            "cut after {budget} writes must report the failure"
        );
        let after = snapshot(&mut flash, board);
        for app in &before {
            assert!(
                after.contains(app),
                "cut after {budget} of {total} writes: app `{}` at {:#x} was damaged or unlinked",
                app.0,
                app.1
            );
        }
    }
    total
}

fn installed(board: &Board, apps: &[NewApp]) -> CutAfter {
    let mut flash = CutAfter {
        base: board.flash_address,
        bytes: vec![0xFF; 2 << 20],
        budget: None,
        writes: 0,
    };
    run(&mut flash, board, apps, Replace::Yes, Placement::Tockloader).unwrap();
    flash.writes = 0;
    flash
}

fn small_board(name: &str) -> Board {
    let mut board = Board::known(name).unwrap();
    board.flash_size = 2 << 20;
    board
}

#[test]
fn risc_v_fixed_address_install_cut_at_every_write_keeps_previous_apps() {
    let dir = scratch("cut-riscv");
    let board = small_board("hifive1b");
    const FIRST: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000)];
    const SECOND: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2004_8080, 0x8000_8000)];
    let first = load_app(
        &build_tab(&dir, "first", 2000, Target::RiscV(FIRST)),
        "rv32imac",
        "hifive1b",
        false,
    )
    .unwrap();
    let second = load_app(
        &build_tab(&dir, "second", 9000, Target::RiscV(SECOND)),
        "rv32imac",
        "hifive1b",
        false,
    )
    .unwrap();
    let start = installed(&board, std::slice::from_ref(&first));
    // Appended after the chain, with a padding image before it.
    cut_everywhere(
        &start,
        &board,
        std::slice::from_ref(&second),
        Replace::Yes,
        Placement::Append,
    );
    cut_everywhere(
        &start,
        &board,
        std::slice::from_ref(&second),
        Replace::Yes,
        Placement::Tockloader,
    );
}

#[test]
fn cortex_m_install_and_replace_cut_at_every_write_keep_previous_apps() {
    let dir = scratch("cut-m4");
    let board = small_board("nrf52dk");
    let first = load_app(
        &build_tab(&dir, "first", 3000, Target::CortexM("cortex-m4")),
        "cortex-m4",
        "nrf52dk",
        false,
    )
    .unwrap();
    let second = load_app(
        &build_tab(&dir, "second", 20000, Target::CortexM("cortex-m4")),
        "cortex-m4",
        "nrf52dk",
        false,
    )
    .unwrap();
    let start = installed(&board, std::slice::from_ref(&first));
    let writes = cut_everywhere(
        &start,
        &board,
        std::slice::from_ref(&second),
        Replace::Yes,
        Placement::Append,
    );
    assert!(writes > 5, "a 20 KB app takes several chunked writes");
    // Replacing `first` by a new build of itself: the old image stays until
    // the new one is linked.
    let mut newer = first.clone();
    newer.source = "rebuilt".to_string();
    cut_everywhere(
        &start,
        &board,
        std::slice::from_ref(&newer),
        Replace::Yes,
        Placement::Append,
    );
}

#[test]
fn filling_the_hole_of_a_removed_app_cut_at_every_write_keeps_previous_apps() {
    let dir = scratch("cut-hole");
    let board = small_board("nrf52dk");
    let load = |name: &str, fill: u32| {
        let tab = build_tab(&dir, name, fill, Target::CortexM("cortex-m4"));
        load_app(&tab, "cortex-m4", "nrf52dk", false).unwrap()
    };
    let removed = load("removed", 20000);
    let kept = load("kept", 3000);
    let small = load("small", 2000);
    let mut start = installed(&board, &[removed, kept]);
    let mut silent = Silent;
    Loader {
        transport: &mut start,
        board: board.clone(),
        progress: &mut silent,
    }
    .uninstall(&["removed".to_string()], false)
    .unwrap();
    let hole = read_chain(&mut start, board.app_address, board.flash_end())
        .unwrap()
        .images[0]
        .clone();
    assert!(hole.is_padding);
    cut_everywhere(
        &start,
        &board,
        std::slice::from_ref(&small),
        Replace::Yes,
        Placement::Append,
    );
    // Uncut, the small app lands in the hole.
    let mut flash = CutAfter {
        budget: None,
        writes: 0,
        bytes: start.bytes.clone(),
        base: start.base,
    };
    run(
        &mut flash,
        &board,
        std::slice::from_ref(&small),
        Replace::Yes,
        Placement::Append,
    )
    .unwrap();
    let chain = read_chain(&mut flash, board.app_address, board.flash_end()).unwrap();
    let small_app = chain.apps().find(|app| app.name == "small").unwrap();
    assert_eq!(small_app.address, hole.address);
}
