/* Process entry on RISC-V (RV32). Upstream's kernel enters here with
 *   a0 = app start: the first byte after the TBF header, where rt_header is
 *   a1 = RAM start, a2 = RAM length, a3 = initial break (= RAM start)
 * No RAM is accessible yet: the break must be moved first.
 *
 * The app is linked for a fixed address, so rt_header is found by its
 * link-time address rather than through a0: the code works on any kernel
 * that enters at `start`. The four entry registers are kept in s2-s5
 * (syscalls preserve them) and handed to rust_start, which records them
 * for `libtock_runtime::entry_registers` (the conformance app checks them).
 *
 * rt_header (see libtock_layout.ld), word offsets:
 *   0 address of start   4 initial break    8 stack top    12 .data size
 *  16 .data in flash    20 .data in RAM    24 .bss size    28 .bss start
 */
.section .start, "ax"
.globl start
start:
	auipc t0, 0             # t0 = where we run (must stay first)
	mv s2, a0               # entry registers, for rust_start
	mv s3, a1
	mv s4, a2
	mv s5, a3
	/* Linked for a fixed address: refuse to run anywhere else. */
	lui t1, %hi(start)
	addi t1, t1, %lo(start)
	lui a5, %hi(rt_header)  # a5 = rt_header; syscalls leave a5 alone
	addi a5, a5, %lo(rt_header)
	beq t0, t1, .Lset_break
	li a0, 8                # low-level debug
	li a1, 1                # command: alert code
	li a2, 2                # alert 2: wrong location
	li a4, 2                # class: command
	ecall
	j .Lfail

.Lset_break:
	li a0, 0                # memop: brk
	lw a1, 4(a5)
	li a4, 5                # class: memop
	ecall
	li t0, 128              # Success
	bne a0, t0, .Lfail

	lw sp, 8(a5)

	lw a0, 12(a5)           # .data: word copy (both ends 4-aligned)
	lw a1, 16(a5)
	lw a2, 20(a5)
	beqz a0, .Lzero_bss
.Lcopy_data:
	lw a3, 0(a1)
	sw a3, 0(a2)
	addi a1, a1, 4
	addi a2, a2, 4
	addi a0, a0, -4
	bnez a0, .Lcopy_data

.Lzero_bss:
	lw a0, 24(a5)           # .bss: word zeroing (size 4-aligned)
	lw a1, 28(a5)
	beqz a0, .Lrust
.Lzero_loop:
	sw zero, 0(a1)
	addi a1, a1, 4
	addi a0, a0, -4
	bnez a0, .Lzero_loop

.Lrust:
	mv a0, s2
	mv a1, s3
	mv a2, s4
	mv a3, s5
	jal rust_start          # never returns

.Lfail:
	li a0, 0                # exit-terminate
	li a1, 1                # status 1
	li a4, 6                # class: exit
	ecall
	j .Lfail
