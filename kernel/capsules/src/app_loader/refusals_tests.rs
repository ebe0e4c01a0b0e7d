//! LIST_APPS says why an enabled image runs no process: the reason kept
//! when the kernel refused it, else one re-derived from the board's
//! credential policy.

use super::*;
use kernel::process_loading::SkipReason;
use loader_protocol::RefusalReason;

fn listed_refusal(service: &Service) -> Option<RefusalReason> {
    service.send(Command::ListApps, &[]);
    let answer = service.answer();
    let records: Vec<_> = loader_protocol::app_records(&answer[5..]).collect();
    assert_eq!(records.len(), 1, "{answer:?}");
    records[0].refusal
}

#[test]
fn a_refused_image_is_listed_with_the_reason_the_kernel_gave() {
    let service = Service::with_images(0xff, &app_image("greedy", true));
    assert_eq!(listed_refusal(&service), Some(RefusalReason::Unknown));
    let install = AppOperation::Install {
        address: service.app_flash,
    };
    let refused = Err(ManagementError::Refused(SkipReason::NoRam(4096)));
    kernel::app_management::AppManagementClient::operation_done(service.loader, install, refused);
    service.answer();
    assert_eq!(listed_refusal(&service), Some(RefusalReason::NoRam));
}

#[test]
fn without_a_kept_reason_the_credential_policy_is_asked() {
    let service = Service::with_images(0xff, &app_image("unsigned", true));
    service
        .loader
        .set_credential_policy(kernel::credential::CredentialPolicy::Sha256Integrity);
    assert_eq!(listed_refusal(&service), Some(RefusalReason::NotSigned));
}

#[test]
fn a_disabled_image_is_not_listed_as_refused() {
    let service = Service::with_images(0xff, &app_image("sleeper", false));
    assert_eq!(listed_refusal(&service), None);
}
