/*
 * Checks the CTAP2 app with libfido2 (Yubico's FIDO2 library) over the HID
 * link: authenticatorGetInfo, a credential made and its packed attestation
 * verified, assertions verified with the credential's public key (counter
 * rising; a changed client data refused), then a PIN: set, a wrong one
 * refused with the retries counting down, credentials and assertions made
 * with it carrying the UV flag.
 *
 *     fido_check check SOCKET          every check, on a device without PIN
 *     fido_check set-pin SOCKET PIN    sets the device's first PIN
 *
 * Prints "fido-check: ok" and exits 0 only when every check passed; each
 * failure names the libfido2 call and its error (the CTAP status it maps).
 */
#define _POSIX_C_SOURCE 200809L

#include "hid_link_io.h"

#include <fido.h>
#include <fido/es256.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_ID "tock.example"
#define PIN "1234"
#define WRONG_PIN "9999"

static const unsigned char CLIENT_DATA[] = "{\"type\":\"webauthn.get\",\"challenge\":\"libfido2\"}";
static const unsigned char OTHER_CLIENT_DATA[] = "{\"type\":\"webauthn.get\",\"challenge\":\"changed\"}";
static const unsigned char USER_ID[] = "libfido2-user";

static void fail(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	fprintf(stderr, "fido-check: FAIL ");
	vfprintf(stderr, format, arguments);
	fprintf(stderr, "\n");
	va_end(arguments);
	exit(1);
}

static void check_status(int status, const char *call)
{
	if (status != FIDO_OK)
		fail("%s: %s (%d)", call, fido_strerr(status), status);
}

static fido_dev_t *open_device(const char *socket_path)
{
	fido_dev_t *dev = fido_dev_new();
	if (dev == NULL)
		fail("fido_dev_new: out of memory");
	check_status(hid_link_install(dev), "fido_dev_set_io_functions");
	/* A request answers (or sends KEEPALIVE and is touched) well within this. */
	check_status(fido_dev_set_timeout(dev, 60 * 1000), "fido_dev_set_timeout");
	check_status(fido_dev_open(dev, socket_path), "fido_dev_open (CTAPHID INIT)");
	if (!fido_dev_is_fido2(dev))
		fail("fido_dev_open: the device does not announce CBOR (CTAP2) in its CTAPHID INIT answer");
	return dev;
}

static bool has_string(char **list, size_t length, const char *wanted)
{
	for (size_t i = 0; i < length; i++)
		if (strcmp(list[i], wanted) == 0)
			return true;
	return false;
}

/* authenticatorGetInfo; whether clientPin is set. */
static bool check_info(fido_dev_t *dev)
{
	fido_cbor_info_t *info = fido_cbor_info_new();
	check_status(fido_dev_get_cbor_info(dev, info), "fido_dev_get_cbor_info (authenticatorGetInfo)");
	char **versions = fido_cbor_info_versions_ptr(info);
	size_t version_count = fido_cbor_info_versions_len(info);
	if (!has_string(versions, version_count, "FIDO_2_1") || !has_string(versions, version_count, "FIDO_2_0"))
		fail("authenticatorGetInfo: versions lack FIDO_2_0 or FIDO_2_1");
	if (!has_string(fido_cbor_info_extensions_ptr(info), fido_cbor_info_extensions_len(info), "hmac-secret"))
		fail("authenticatorGetInfo: extensions lack hmac-secret");
	bool pin_set = false;
	char **names = fido_cbor_info_options_name_ptr(info);
	const bool *values = fido_cbor_info_options_value_ptr(info);
	for (size_t i = 0; i < fido_cbor_info_options_len(info); i++)
		if (strcmp(names[i], "clientPin") == 0)
			pin_set = values[i];
	printf("fido-check: getInfo: %zu versions, AAGUID of %zu bytes, clientPin %s\n", version_count,
	       fido_cbor_info_aaguid_len(info), pin_set ? "set" : "not set");
	fido_cbor_info_free(&info);
	return pin_set;
}

/* Makes an ES256 credential for RP_ID and verifies its attestation. */
static fido_cred_t *make_credential(fido_dev_t *dev, const char *pin, bool resident, const char *what)
{
	fido_cred_t *cred = fido_cred_new();
	static const unsigned char client_data[] = "{\"type\":\"webauthn.create\",\"challenge\":\"libfido2\"}";
	check_status(fido_cred_set_type(cred, COSE_ES256), "fido_cred_set_type");
	check_status(fido_cred_set_clientdata(cred, client_data, sizeof(client_data) - 1), "fido_cred_set_clientdata");
	check_status(fido_cred_set_rp(cred, RP_ID, "Tock example"), "fido_cred_set_rp");
	check_status(fido_cred_set_user(cred, USER_ID, sizeof(USER_ID) - 1, "libfido2", "libfido2 user", NULL),
		     "fido_cred_set_user");
	check_status(fido_cred_set_rk(cred, resident ? FIDO_OPT_TRUE : FIDO_OPT_OMIT), "fido_cred_set_rk");
	int status = fido_dev_make_cred(dev, cred, pin);
	if (status != FIDO_OK)
		fail("fido_dev_make_cred (authenticatorMakeCredential, %s): %s (%d)", what, fido_strerr(status), status);
	if (fido_cred_fmt(cred) == NULL || strcmp(fido_cred_fmt(cred), "packed") != 0)
		fail("%s: attestation format %s, expected packed", what, fido_cred_fmt(cred) ? fido_cred_fmt(cred) : "(none)");
	if (fido_cred_x5c_len(cred) == 0)
		fail("%s: packed attestation without x5c (self attestation), expected a batch certificate", what);
	check_status(fido_cred_verify(cred), "fido_cred_verify (the attestation signature over authData and the client data hash)");
	printf("fido-check: made a credential (%s), packed attestation verified, flags %#04x\n", what,
	       fido_cred_flags(cred));
	return cred;
}

/* The device's authenticator data and signature over other client data
 * must not verify. */
static void refuse_changed_client_data(const fido_assert_t *assert, const es256_pk_t *key, const char *what)
{
	fido_assert_t *changed = fido_assert_new();
	check_status(fido_assert_set_count(changed, 1), "fido_assert_set_count");
	check_status(fido_assert_set_rp(changed, RP_ID), "fido_assert_set_rp");
	check_status(fido_assert_set_clientdata(changed, OTHER_CLIENT_DATA, sizeof(OTHER_CLIENT_DATA) - 1),
		     "fido_assert_set_clientdata");
	check_status(fido_assert_set_authdata(changed, 0, fido_assert_authdata_ptr(assert, 0),
					      fido_assert_authdata_len(assert, 0)),
		     "fido_assert_set_authdata");
	check_status(fido_assert_set_sig(changed, 0, fido_assert_sig_ptr(assert, 0), fido_assert_sig_len(assert, 0)),
		     "fido_assert_set_sig");
	if (fido_assert_verify(changed, 0, COSE_ES256, key) == FIDO_OK)
		fail("fido_assert_verify (%s): the signature verified over changed client data", what);
	fido_assert_free(&changed);
}

/* An assertion by `cred`, verified with its public key; its counter. */
static uint32_t get_assertion(fido_dev_t *dev, const fido_cred_t *cred, const char *pin, const char *what,
			      uint8_t *flags)
{
	fido_assert_t *assert = fido_assert_new();
	check_status(fido_assert_set_clientdata(assert, CLIENT_DATA, sizeof(CLIENT_DATA) - 1),
		     "fido_assert_set_clientdata");
	check_status(fido_assert_set_rp(assert, RP_ID), "fido_assert_set_rp");
	check_status(fido_assert_allow_cred(assert, fido_cred_id_ptr(cred), fido_cred_id_len(cred)),
		     "fido_assert_allow_cred");
	check_status(fido_assert_set_up(assert, FIDO_OPT_TRUE), "fido_assert_set_up");
	int status = fido_dev_get_assert(dev, assert, pin);
	if (status != FIDO_OK)
		fail("fido_dev_get_assert (authenticatorGetAssertion, %s): %s (%d)", what, fido_strerr(status), status);
	es256_pk_t *key = es256_pk_new();
	check_status(es256_pk_from_ptr(key, fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred)),
		     "es256_pk_from_ptr (the credential's public key)");
	status = fido_assert_verify(assert, 0, COSE_ES256, key);
	if (status != FIDO_OK)
		fail("fido_assert_verify (%s): %s (%d)", what, fido_strerr(status), status);
	refuse_changed_client_data(assert, key, what);
	uint32_t counter = fido_assert_sigcount(assert, 0);
	*flags = fido_assert_flags(assert, 0);
	printf("fido-check: assertion (%s) verified, counter %u, flags %#04x\n", what, counter, *flags);
	es256_pk_free(&key);
	fido_assert_free(&assert);
	return counter;
}

static int retries(fido_dev_t *dev)
{
	int count = 0;
	check_status(fido_dev_get_retry_count(dev, &count), "fido_dev_get_retry_count (getPinRetries)");
	return count;
}

static void pin_checks(fido_dev_t *dev, fido_cred_t *plain)
{
	int before = retries(dev);
	check_status(fido_dev_set_pin(dev, PIN, NULL), "fido_dev_set_pin (setPIN)");
	if (!check_info(dev))
		fail("authenticatorGetInfo: clientPin is not set after setPIN");
	fido_cred_t *refused = fido_cred_new();
	fido_cred_set_type(refused, COSE_ES256);
	fido_cred_set_clientdata(refused, CLIENT_DATA, sizeof(CLIENT_DATA) - 1);
	fido_cred_set_rp(refused, RP_ID, NULL);
	fido_cred_set_user(refused, USER_ID, sizeof(USER_ID) - 1, "refused", NULL, NULL);
	int status = fido_dev_make_cred(dev, refused, WRONG_PIN);
	if (status != FIDO_ERR_PIN_INVALID)
		fail("fido_dev_make_cred with a wrong PIN: %s (%d), expected FIDO_ERR_PIN_INVALID", fido_strerr(status),
		     status);
	fido_cred_free(&refused);
	int after = retries(dev);
	if (after != before - 1)
		fail("a wrong PIN took the retries from %d to %d, expected %d", before, after, before - 1);
	printf("fido-check: PIN set; a wrong one refused, retries %d -> %d\n", before, after);
	fido_cred_t *verified = make_credential(dev, PIN, true, "resident, with the PIN");
	if (!(fido_cred_flags(verified) & 0x04))
		fail("a credential made with the PIN lacks the UV flag (flags %#04x)", fido_cred_flags(verified));
	if (retries(dev) != before)
		fail("the right PIN left the retries at %d, expected them back at %d", retries(dev), before);
	uint8_t flags = 0;
	get_assertion(dev, verified, PIN, "with the PIN", &flags);
	if (!(flags & 0x04))
		fail("an assertion made with the PIN lacks the UV flag (flags %#04x)", flags);
	get_assertion(dev, plain, NULL, "after the PIN was set, without it", &flags);
	fido_cred_free(&verified);
}

static void check_all(const char *socket_path)
{
	fido_dev_t *dev = open_device(socket_path);
	if (check_info(dev))
		fail("authenticatorGetInfo: clientPin is set on a fresh device");
	fido_cred_t *plain = make_credential(dev, NULL, false, "non-resident");
	uint8_t flags = 0;
	uint32_t first = get_assertion(dev, plain, NULL, "first", &flags);
	if (!(flags & 0x01))
		fail("an assertion lacks the UP flag (flags %#04x)", flags);
	uint32_t second = get_assertion(dev, plain, NULL, "second", &flags);
	if (second <= first)
		fail("the signature counter went from %u to %u", first, second);
	pin_checks(dev, plain);
	fido_cred_free(&plain);
	fido_dev_close(dev);
	fido_dev_free(&dev);
}

int main(int argc, char **argv)
{
	/* Lines in order with the transport's stderr, also through a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	fido_init(getenv("FIDO_DEBUG") != NULL ? FIDO_DEBUG : 0);
	if (argc == 3 && strcmp(argv[1], "check") == 0) {
		check_all(argv[2]);
	} else if (argc == 4 && strcmp(argv[1], "set-pin") == 0) {
		fido_dev_t *dev = open_device(argv[2]);
		check_status(fido_dev_set_pin(dev, argv[3], NULL), "fido_dev_set_pin (setPIN)");
		printf("fido-check: PIN set\n");
		fido_dev_close(dev);
		fido_dev_free(&dev);
	} else {
		fprintf(stderr, "usage: fido_check check SOCKET | fido_check set-pin SOCKET PIN\n");
		return 2;
	}
	printf("fido-check: ok\n");
	return 0;
}
