//! The type rules that keep a link from logging anyone in unchecked: each
//! program in tests/ui must fail to compile, with the error recorded beside
//! it (regenerate with `TRYBUILD=overwrite` after a compiler upgrade).

#[test]
fn type_rules() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
