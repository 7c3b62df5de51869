/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console's users and the parsers of what browsers send it: password
 * hashes that verify only the password they were made from, a hash edited
 * by one character refused, users files with bad lines refused whole,
 * roles that allow only their own actions, cookies and stream ids read
 * only in their exact form.
 */
#include "config.h"

#include "testutil.h"
#include "console_users.h"
#include "parse.h"

static void test_password_hash_verifies_only_its_password(void **state)
{
	char h1[CU_HASH_MAX + 1], h2[CU_HASH_MAX + 1];

	(void)state;
	assert_int_equal(cu_hash("correct horse battery", h1, sizeof(h1), NULL), 0);
	assert_int_equal(cu_hash("correct horse battery", h2, sizeof(h2), NULL), 0);
	assert_string_not_equal(h1, h2);	/* a fresh salt each time */
	assert_int_equal(strncmp(h1, "$scrypt$ln=15,r=8,p=1$", 22), 0);
	assert_int_equal(cu_verify("correct horse battery", h1), 1);
	assert_int_equal(cu_verify("correct horse batterY", h1), 0);
	assert_int_equal(cu_verify("", h1), 0);
	assert_null(strstr(h1, "correct"));
}

static void test_password_hash_edited_is_refused(void **state)
{
	char h[CU_HASH_MAX + 1];
	size_t n;

	(void)state;
	assert_int_equal(cu_hash("s3cret-passphrase", h, sizeof(h), NULL), 0);
	n = strlen(h);
	/* one bit of the key, away from the last character's padding bits */
	h[n - 10] = h[n - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(cu_verify("s3cret-passphrase", h), 0);
	/* cost parameters out of bounds, or no hash of ours: never a match */
	assert_int_equal(cu_verify("x", "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), -1);
	assert_int_equal(cu_verify("x", "$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), -1);
	assert_int_equal(cu_verify("x", "x"), -1);
	assert_int_equal(cu_verify("x", ""), -1);
}

static void test_users_file_with_a_bad_line_refused_whole(void **state)
{
	const char good[] = "# c\nalice:soc:$scrypt$a\r\nbob:viewer:$scrypt$b\n\n";
	const char *bad[] = {
		"alice:soc:$scrypt$a\nmallory:root:$scrypt$x\n",	/* unknown role */
		"alice:soc:$scrypt$a\nmal lory:soc:$scrypt$x\n",	/* bad name */
		"alice:soc:plaintext\n",				/* no hash */
		"alice:soc\n",
	};
	cu_user_t *u = NULL;
	ar_err_t err = { 0 };
	size_t n = 0, i;

	(void)state;
	assert_int_equal(cu_parse(good, strlen(good), &u, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(u[0].name, "alice");
	assert_int_equal(u[0].role, CU_SOC);
	assert_string_equal(u[1].hash, "$scrypt$b");
	free(u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(cu_parse(bad[i], strlen(bad[i]), &u, &n, &err), -1);
		assert_null(u);
		assert_int_equal(n, 0);
		assert_non_null(strstr(err.msg, "line "));
	}
}

static void test_roles_allow_only_their_own_actions(void **state)
{
	cu_role_t r;

	(void)state;
	assert_false(cu_may_flag(CU_VIEWER) || cu_may_disconnect(CU_VIEWER));
	assert_true(cu_may_disconnect(CU_NOC) && !cu_may_flag(CU_NOC));
	assert_true(cu_may_flag(CU_SOC) && !cu_may_disconnect(CU_SOC));
	assert_true(cu_may_flag(CU_ADMIN) && cu_may_disconnect(CU_ADMIN));
	assert_int_equal(cu_role_parse("SOC", &r), -1);
	assert_int_equal(cu_role_parse("noc", &r), 0);
	assert_int_equal(r, CU_NOC);
}

static void test_cookie_read_only_by_its_exact_name(void **state)
{
	char out[44];

	(void)state;
	assert_int_equal(console_cookie_value("a=1; ar_console=tok; b=2", "ar_console", out,
					      sizeof(out)), 3);
	assert_string_equal(out, "tok");
	assert_int_equal(console_cookie_value("xar_console=1; ar_consolex=2", "ar_console", out,
					      sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(console_cookie_value(NULL, "ar_console", out, sizeof(out)), 0);
	/* too long for the buffer: nothing, not a truncated token */
	assert_int_equal(console_cookie_value("ar_console=0123456789012345678901234567890123456789"
					      "0123", "ar_console", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_event_id_read_only_in_its_exact_form(void **state)
{
	char out[48];

	(void)state;
	assert_int_equal(console_event_id_parse("1796657308952-0", out, sizeof(out)), 1);
	assert_string_equal(out, "1796657308952-0");
	assert_int_equal(console_event_id_parse("1-2 ", out, sizeof(out)), 0);
	assert_int_equal(console_event_id_parse("-2", out, sizeof(out)), 0);
	assert_int_equal(console_event_id_parse("1-", out, sizeof(out)), 0);
	assert_int_equal(console_event_id_parse("1-2\n3-4", out, sizeof(out)), 0);
	assert_int_equal(console_event_id_parse("123456789012345678901-1", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_hash_verifies_only_its_password),
		cmocka_unit_test(test_password_hash_edited_is_refused),
		cmocka_unit_test(test_users_file_with_a_bad_line_refused_whole),
		cmocka_unit_test(test_roles_allow_only_their_own_actions),
		cmocka_unit_test(test_cookie_read_only_by_its_exact_name),
		cmocka_unit_test(test_event_id_read_only_in_its_exact_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
