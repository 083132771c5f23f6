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
}

/// Checks the length rules (no composition rules, per NIST SP 800-63B).
pub fn check_policy(password: &str) -> Result<(), PasswordProblem> {
    let len = password.chars().count();
    if len < MIN_LEN {
        Err(PasswordProblem::TooShort)
    } else if len > MAX_LEN {
        Err(PasswordProblem::TooLong)
    } else {
        Ok(())
    }
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
    fn length_policy() {
        assert_eq!(check_policy("elf tekens!"), Err(PasswordProblem::TooShort));
        assert_eq!(check_policy("twaalf tekens"), Ok(()));
        assert_eq!(check_policy(&"x".repeat(129)), Err(PasswordProblem::TooLong));
        assert_eq!(check_policy(&"é".repeat(12)), Ok(()));
    }
}
