//! Password hashing with Argon2id (OWASP parameters: 19 MiB memory, 2 iterations, 1 lane). Hashing is slow
//! on purpose, so it runs on the blocking pool, never on the async runtime's threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest and longest accepted passwords (characters).
pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

fn argon2() -> Argon2<'static> {
    // The constants are valid Argon2 parameters; `Params::DEFAULT` is the fallback that cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// On the list of common and breached passwords, or made of the login name or one repeated character.
    TooCommon,
}

impl PasswordProblem {
    /// The translation key of the message.
    pub fn message_key(&self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password-too-short",
            PasswordProblem::TooLong => "password-too-long",
            PasswordProblem::TooCommon => "password-too-common",
        }
    }
}

/// Common and breached passwords of 12+ characters (see data/README.md), lower-cased.
const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
}

/// Checks a new password: 12 to 128 characters, not common or breached, not the login name, not one
/// character repeated. No composition rules (NIST SP 800-63B).
pub fn check_policy(password: &str) -> Result<(), PasswordProblem> {
    check_new_password(password, "")
}

/// [`check_policy`] plus: the password must not contain the login name.
pub fn check_new_password(password: &str, login: &str) -> Result<(), PasswordProblem> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PasswordProblem::TooShort);
    }
    if len > MAX_LEN {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let login = login.trim().to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    let one_char = chars.all(|c| Some(c) == first);
    if one_char || common_passwords().contains(lower.as_str()) || (login.len() >= 3 && lower.contains(&login)) {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

/// Hashes a password into a PHC string (blocking; call from `spawn_blocking` in async code).
pub fn hash_blocking(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness for the salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Verifies a password against a stored PHC string (blocking).
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Hashes on the blocking pool.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await.map_err(|e| e.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash_blocking("correct horse battery staple").unwrap();
        let b = hash_blocking("correct horse battery staple").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking("correct horse battery staple", &a));
        assert!(!verify_blocking("correct horse battery stapl", &a));
        assert!(!verify_blocking("anything", "not a hash"));
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        assert_eq!(check_policy("qwertyuiopasdfgh"), Err(PasswordProblem::TooCommon));
        assert_eq!(check_policy("QwertyUiopAsdfgh"), Err(PasswordProblem::TooCommon), "case does not help");
        assert_eq!(check_policy("aaaaaaaaaaaaaaaa"), Err(PasswordProblem::TooCommon));
        assert_eq!(check_new_password("lieke.po-2026-zomer", "lieke.po"), Err(PasswordProblem::TooCommon));
        assert_eq!(check_new_password("paars konijn op de fiets", "lieke.po"), Ok(()));
        assert!(common_passwords().len() > 10_000);
    }

    #[test]
    fn length_policy() {
        assert_eq!(check_policy("elf tekens!"), Err(PasswordProblem::TooShort));
        assert_eq!(check_policy("twaalf tekens"), Ok(()));
        assert_eq!(check_policy(&"x".repeat(129)), Err(PasswordProblem::TooLong));
        assert_eq!(check_policy("één twee drie"), Ok(()));
    }
}
