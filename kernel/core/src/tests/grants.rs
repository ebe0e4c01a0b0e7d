//! Grant allocation, isolation between processes, exhaustion and reclaim.

use kernel_abi::ErrorCode;

use super::fake::*;
use crate::grant::{Grant, GrantError};

struct Big([u64; 64]);

impl Default for Big {
    fn default() -> Self {
        Big([0; 64])
    }
}

#[test]
fn each_process_gets_its_own_state() {
    let environment = Environment::new(2, 4096);
    let grant: Grant<u32, 0, 0, 0> = environment.kernel.create_grant(1, &TestCapability);
    for _ in 0..3 {
        grant
            .enter(environment.id(0), |value, _| *value += 1)
            .unwrap();
    }
    grant
        .enter(environment.id(1), |value, _| *value += 10)
        .unwrap();
    assert_eq!(grant.enter(environment.id(0), |value, _| *value), Ok(3));
    assert_eq!(grant.enter(environment.id(1), |value, _| *value), Ok(10));
    let mut seen = 0;
    grant.each(|_, value, _| seen += *value);
    assert_eq!(seen, 13);
}

#[test]
fn grant_memory_comes_from_the_top_of_the_process_ram() {
    let environment = Environment::new(1, 4096);
    let grant: Grant<Big, 1, 1, 1> = environment.kernel.create_grant(1, &TestCapability);
    let before = environment.process(0).layout();
    grant.enter(environment.id(0), |_, _| ()).unwrap();
    let after = environment.process(0).layout();
    let used = before.kernel_break - after.kernel_break;
    assert!(used >= Grant::<Big, 1, 1, 1>::allocation_size());
    assert!(after.kernel_break >= after.app_break);
}

#[test]
fn exhausted_grant_region_fails_that_process_only() {
    let environment = Environment::new(2, 4096);
    environment.set_break(0, 4096 - 256);
    let grant: Grant<Big, 0, 0, 0> = environment.kernel.create_grant(1, &TestCapability);
    assert_eq!(
        grant.enter(environment.id(0), |_, _| ()),
        Err(GrantError::OutOfMemory)
    );
    assert_eq!(ErrorCode::from(GrantError::OutOfMemory), ErrorCode::NoMem);
    assert_eq!(
        grant.enter(environment.id(1), |data, _| data.0[3] = 9),
        Ok(())
    );
    assert_eq!(
        environment.process(0).layout().kernel_break,
        environment.process(0).layout().ram.end()
    );
}

#[test]
fn a_dead_process_makes_its_grants_unreachable_and_reclaims_them() {
    let environment = Environment::new(1, 4096);
    let grant: Grant<u32, 0, 0, 0> = environment.kernel.create_grant(1, &TestCapability);
    let old = environment.id(0);
    grant.enter(old, |value, _| *value = 42).unwrap();
    let used_break = environment.process(0).layout().kernel_break;
    environment.kernel.restart(0);
    assert_eq!(
        grant.enter(old, |value, _| *value),
        Err(GrantError::NoSuchProcess)
    );
    let layout = environment.process(0).layout();
    assert_eq!(
        layout.kernel_break,
        layout.ram.end(),
        "grant region reclaimed"
    );
    assert!(used_break < layout.kernel_break);
    assert_eq!(
        grant.enter(environment.id(0), |value, _| *value),
        Ok(0),
        "fresh state after restart"
    );
    environment.kernel.terminate(0);
    assert_eq!(
        grant.enter(environment.id(0), |value, _| *value),
        Err(GrantError::NoSuchProcess)
    );
}

#[test]
fn a_grant_cannot_be_entered_twice_at_once() {
    let environment = Environment::new(2, 4096);
    let grant: Grant<u32, 0, 0, 0> = environment.kernel.create_grant(1, &TestCapability);
    let inner = grant
        .enter(environment.id(0), |_, _| {
            grant.enter(environment.id(0), |_, _| ())
        })
        .unwrap();
    assert_eq!(inner, Err(GrantError::AlreadyEntered));
    let other = grant
        .enter(environment.id(0), |_, _| {
            grant.enter(environment.id(1), |_, _| ())
        })
        .unwrap();
    assert_eq!(other, Ok(()));
}

#[test]
fn upcalls_to_unknown_subscribe_numbers_are_refused() {
    let environment = Environment::new(1, 4096);
    let grant: Grant<u32, 1, 0, 0> = environment.kernel.create_grant(1, &TestCapability);
    let result = grant
        .enter(environment.id(0), |_, kernel_data| {
            kernel_data.schedule_upcall(1, (0, 0, 0))
        })
        .unwrap();
    assert_eq!(
        result,
        Err(crate::grant::UpcallError::InvalidSubscribeNumber)
    );
    let missing = grant.enter(environment.id(0), |_, kernel_data| {
        kernel_data.read_write_buffer(0).map(|b| b.len())
    });
    assert_eq!(missing.unwrap(), Err(ErrorCode::NoSupport));
}
