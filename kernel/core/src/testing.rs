//! Host-only support for testing capsules against the real kernel object
//! (feature `testing`, never enabled on a device): processes with real
//! (leaked) memory, and the allow/subscribe/command paths of the kernel,
//! called with native pointers instead of 32-bit registers.

extern crate std;

use core::cell::{Cell, RefCell};
use std::boxed::Box;
use std::string::String;
use std::vec;
use std::vec::Vec;

use crate::capability::{
    MainLoopCapability, MemoryAllocationCapability, MemorySharingCapability,
    ProcessManagementCapability,
};
use crate::driver::{SyscallDriver, SyscallDriverLookup};
use crate::identity::Approval;
use crate::kernel::Kernel;
use crate::memory::MemoryLayout;
use crate::platform::{DebugOutput, Region};
use crate::process::{Process, ProcessId};
use crate::syscall::{AllowKind, SyscallReturn};
use crate::syscall_handler::{allow_buffer, subscribe_upcall};
use crate::upcall::QueuedUpcall;

/// `bytes` of zeroed memory below 4 GiB, so that its addresses fit the
/// 32-bit addresses of syscalls and of the loader protocol, as on the
/// device. Leaked: tests hold `'static` references into it.
pub fn low_memory(bytes: usize) -> &'static mut [u8] {
    use core::sync::atomic::{AtomicUsize, Ordering};
    // Apart from the range the core's own tests use (from 0x4000_0000).
    static NEXT: AtomicUsize = AtomicUsize::new(0x9000_0000);
    let size = (bytes + 0xfff) & !0xfff;
    loop {
        let hint = NEXT.fetch_add(size + 0x1000, Ordering::Relaxed);
        assert!(hint + size < 0xf000_0000, "out of low test memory");
        // SAFETY: an anonymous private mapping at a fixed address that must
        // not replace anything (FIXED_NOREPLACE); on success we own it.
        let address = unsafe {
            libc::mmap(
                hint as *mut libc::c_void,
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        if address as usize == hint {
            // SAFETY: the mapping is `size` readable, writeable, zeroed
            // bytes owned by nobody else, never unmapped.
            return unsafe { core::slice::from_raw_parts_mut(address as *mut u8, bytes) };
        }
    }
}

/// A capability for tests.
pub struct TestCapability;
// SAFETY: only host tests can enable the `testing` feature.
unsafe impl ProcessManagementCapability for TestCapability {}
// SAFETY: as above.
unsafe impl MainLoopCapability for TestCapability {}
// SAFETY: as above.
unsafe impl MemoryAllocationCapability for TestCapability {}
// SAFETY: as above.
unsafe impl MemorySharingCapability for TestCapability {}

/// The sharing granule of test kernels (the PMP's).
pub const TEST_SHARING_GRANULE: usize = 4;

/// Collects kernel output.
#[derive(Default)]
pub struct RecordingOutput(RefCell<String>);

impl DebugOutput for RecordingOutput {
    fn write_text(&self, text: &str) {
        self.0.borrow_mut().push_str(text);
    }
}

struct OneDriver<'a>(u32, &'a dyn SyscallDriver);

impl SyscallDriverLookup for OneDriver<'_> {
    fn driver(&self, driver: u32) -> Option<&dyn SyscallDriver> {
        (driver == self.0).then_some(self.1)
    }
}

/// A kernel with processes whose RAM is real host memory: the first half
/// of each process's RAM is below its break (usable for buffers), the
/// rest is free for the grant region.
pub struct TestKernel {
    /// The kernel.
    pub kernel: &'static Kernel,
    output: &'static RecordingOutput,
    next_buffer: Vec<Cell<usize>>,
}

const FLASH_BYTES: usize = 256;

impl TestKernel {
    /// `count` processes named `app0`, `app1`, ... with `ram_bytes` each.
    pub fn new(count: usize, ram_bytes: usize) -> TestKernel {
        let output: &'static RecordingOutput = Box::leak(Box::default());
        let processes: &'static [Process] = Box::leak(
            (0..count)
                .map(|_| Process::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(processes, output)));
        kernel.shared_buffers().set_granule(TEST_SHARING_GRANULE);
        const NAMES: [&str; 4] = ["app0", "app1", "app2", "app3"];
        for (index, process) in processes.iter().enumerate() {
            let ram: &'static mut [u64] = Box::leak(vec![0u64; ram_bytes / 8].into_boxed_slice());
            let flash: &'static mut [u8] = Box::leak(vec![0u8; FLASH_BYTES].into_boxed_slice());
            let flash = Region::new(flash.as_mut_ptr() as usize, FLASH_BYTES);
            let ram = Region::new(ram.as_ptr() as usize, ram_bytes);
            process.loaded.set(true);
            process.name.set(NAMES[index % NAMES.len()]);
            process.layout.set(MemoryLayout::new(flash, ram));
            process.init_function.set(flash.start);
            process.approval.set(Approval::Unverified);
            kernel.start_fresh(index);
            let mut layout = process.layout();
            layout.app_break = ram.start + ram_bytes / 2;
            process.layout.set(layout);
        }
        let next_buffer = (0..count).map(|_| Cell::new(0)).collect();
        TestKernel {
            kernel,
            output,
            next_buffer,
        }
    }

    /// The current id of process `index`.
    pub fn process_id(&self, index: usize) -> ProcessId {
        ProcessId {
            index,
            identifier: self.kernel.processes()[index].identifier.get(),
        }
    }

    /// Give process `index` a TBF header named `name` (with a storage
    /// permissions header `(write_id, read_ids, modify_ids)` if given),
    /// written to the start of its flash, and the credential `approval`:
    /// its identity and storage permissions then derive from them as on a
    /// device (see [`crate::identity`]). Its name becomes `name`.
    pub fn set_identity(
        &self,
        index: usize,
        name: &str,
        approval: Approval,
        storage: Option<(u32, &[u32], &[u32])>,
    ) {
        use tbf::{HeaderBuilder, HeaderTlv, PersistentAcl, ProgramTlv};
        let mut builder = HeaderBuilder::new()
            .enabled(true)
            .tlv(HeaderTlv::Program(ProgramTlv::default()))
            .tlv(HeaderTlv::PackageName(name.into()));
        if let Some((write_id, read_ids, access_ids)) = storage {
            builder = builder.tlv(HeaderTlv::PersistentAcl(PersistentAcl {
                write_id,
                read_ids: read_ids.to_vec(),
                access_ids: access_ids.to_vec(),
            }));
        }
        let mut header = builder.build();
        let size = u32::from(header.header_size().expect("a test header has a size"));
        header.total_size = FLASH_BYTES as u32;
        header.program_mut().expect("has Program").binary_end_offset = size;
        let bytes = header.to_bytes().expect("a test header builds");
        assert!(bytes.len() <= FLASH_BYTES, "test header over 256 bytes");
        let process = &self.kernel.processes()[index];
        let flash = process.layout().flash;
        // SAFETY: `flash` is this process's leaked test flash of
        // FLASH_BYTES bytes (checked above), not borrowed anywhere now.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), flash.start as *mut u8, bytes.len())
        };
        let image = process.image();
        let parsed = tbf::parse_header(image).expect("the test header parses");
        process.name.set(parsed.package_name().unwrap_or(""));
        process.approval.set(approval);
    }

    /// Everything the kernel printed so far (and forget it).
    pub fn take_output(&self) -> String {
        core::mem::take(&mut *self.output.0.borrow_mut())
    }

    /// An address inside the code of process `index` (a valid upcall).
    pub fn code_address(&self, index: usize) -> usize {
        self.kernel.processes()[index].layout().flash.start + 4
    }

    /// Subscribe process `index` to upcall `subscribe` of `driver`.
    pub fn subscribe(
        &self,
        index: usize,
        number: u32,
        driver: &dyn SyscallDriver,
        subscribe: u32,
    ) -> SyscallReturn {
        let process = &self.kernel.processes()[index];
        let function = self.code_address(index);
        subscribe_upcall(
            process,
            self.process_id(index),
            &OneDriver(number, driver),
            number,
            subscribe,
            function,
            0,
        )
    }

    /// Copy `bytes` into process `index`'s RAM and allow them read-only
    /// as buffer `buffer` of `driver`.
    pub fn allow_read_only(
        &self,
        index: usize,
        number: u32,
        driver: &dyn SyscallDriver,
        buffer: u32,
        bytes: &[u8],
    ) -> SyscallReturn {
        let address = self.place(index, bytes);
        let drivers = OneDriver(number, driver);
        allow_buffer(
            self.kernel,
            self.process_id(index),
            &drivers,
            AllowKind::ReadOnly,
            number,
            buffer,
            address,
            bytes.len(),
        )
    }

    /// Allow `length` zeroed bytes of process `index`'s RAM read-write as
    /// buffer `buffer` of `driver`; returns the address with the result.
    pub fn allow_read_write(
        &self,
        index: usize,
        number: u32,
        driver: &dyn SyscallDriver,
        buffer: u32,
        length: usize,
    ) -> (usize, SyscallReturn) {
        let address = self.place(index, &vec![0u8; length]);
        let start = self.kernel.processes()[index].layout().ram.start;
        self.allow_read_write_at(index, number, driver, buffer, address - start, length)
    }

    /// Read `length` bytes of process memory at `address`.
    pub fn read(&self, address: usize, length: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; length];
        // SAFETY: test addresses come from `place`, inside leaked RAM of
        // `ram_bytes / 2` bytes below the break.
        unsafe { core::ptr::copy_nonoverlapping(address as *const u8, bytes.as_mut_ptr(), length) };
        bytes
    }

    /// Write `bytes` into process memory at `address` (as the process
    /// would).
    pub fn write(&self, address: usize, bytes: &[u8]) {
        // SAFETY: as in `read`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), address as *mut u8, bytes.len()) };
    }

    /// Take every pending upcall of process `index`.
    pub fn take_upcalls(&self, index: usize) -> Vec<QueuedUpcall> {
        let process = &self.kernel.processes()[index];
        core::iter::from_fn(|| process.upcalls.remove(0)).collect()
    }

    /// Restart process `index` (a new incarnation).
    pub fn restart(&self, index: usize) {
        self.kernel.restart(index);
        let process = &self.kernel.processes()[index];
        let mut layout = process.layout();
        layout.app_break = layout.ram.start + layout.ram.size / 2;
        process.layout.set(layout);
        self.next_buffer[index].set(0);
    }

    /// End process `index` (as exit-terminate does).
    pub fn terminate(&self, index: usize) {
        self.kernel.terminate(index);
    }

    /// Fault process `index` (the fault policy applies).
    pub fn fault(&self, index: usize) {
        self.kernel.handle_fault(index);
    }

    /// Allow `length` bytes at `offset` into process `index`'s RAM
    /// read-write as buffer `buffer` of `driver` (for alignment cases).
    pub fn allow_read_write_at(
        &self,
        index: usize,
        number: u32,
        driver: &dyn SyscallDriver,
        buffer: u32,
        offset: usize,
        length: usize,
    ) -> (usize, SyscallReturn) {
        let address = self.kernel.processes()[index].layout().ram.start + offset;
        let drivers = OneDriver(number, driver);
        let result = allow_buffer(
            self.kernel,
            self.process_id(index),
            &drivers,
            AllowKind::ReadWrite,
            number,
            buffer,
            address,
            length,
        );
        (address, result)
    }

    fn place(&self, index: usize, bytes: &[u8]) -> usize {
        let layout = self.kernel.processes()[index].layout();
        let offset = self.next_buffer[index].get();
        let address = layout.ram.start + offset;
        assert!(
            address + bytes.len() <= layout.app_break,
            "test buffers exceed half the process RAM"
        );
        // SAFETY: inside the leaked RAM below the break (checked above).
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), address as *mut u8, bytes.len()) };
        self.next_buffer[index].set((offset + bytes.len() + 7) & !7);
        address
    }
}
