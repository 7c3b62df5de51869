/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Published JOSE test vectors, transcribed from the RFCs named beside each.
 */
#ifndef AR_TEST_VECTORS_H
#define AR_TEST_VECTORS_H

/* RFC 7638 section 3.1: an RSA key and its SHA-256 JWK thumbprint. */
#define RFC7638_JWK \
	"{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4" \
	"cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4" \
	"Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7" \
	"d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X" \
	"PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\"," \
	"\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

/* RFC 7515 appendix A.1: HS256 JWS (compact) and its symmetric key. */
#define RFC7515_A1_JWK \
	"{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75" \
	"aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}"
#define RFC7515_A1_JWS \
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" \
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" \
	".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

/* RFC 7515 appendix A.3: ES256 JWS (compact) and its P-256 key. */
#define RFC7515_A3_JWK \
	"{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"," \
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"," \
	"\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}"
#define RFC7515_A3_JWS \
	"eyJhbGciOiJFUzI1NiJ9" \
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" \
	".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

/* RFC 7520 section 3.2 (P-521 key) and 4.3 (ES512, flattened): a curve and
 * algorithm this profile refuses. */
#define RFC7520_3_2_JWK \
	"{\"kty\":\"EC\",\"kid\":\"bilbo.baggins@hobbiton.example\",\"use\":\"sig\",\"crv\":\"P-521\"," \
	"\"x\":\"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt\"," \
	"\"y\":\"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1\"," \
	"\"d\":\"AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt\"}"
#define RFC7520_4_3_JWS \
	"{\"payload\":\"SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAg" \
	"b250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUg" \
	"eW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4\"," \
	"\"protected\":\"eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9\"," \
	"\"signature\":\"AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cm" \
	"L1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2\"}"

/* RFC 8037 appendix A.1-A.4: an Ed25519 key (private, public), its RFC 7638
 * thumbprint, and the compact EdDSA JWS of "Example of Ed25519 signing". */
#define RFC8037_A1_JWK \
	"{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," \
	"\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"," \
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
#define RFC8037_A2_JWK \
	"{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," \
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
#define RFC8037_A3_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_A4_PAYLOAD "Example of Ed25519 signing"
#define RFC8037_A4_JWS \
	"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc" \
	".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

#endif
