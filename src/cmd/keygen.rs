//! `rollcall keygen`: the key pair that `--sign` signs with and `verify --pubkey` checks against
//! (see [`crate::sign`]).

use anyhow::Result;

use crate::cli::KeygenArgs;
use crate::sign;

pub(super) fn run(a: KeygenArgs) -> Result<()> {
    let g = sign::keygen(&a.out, a.no_password, a.force)?;
    super::emit(
        None,
        &format!(
            "wrote the secret key {} ({}, mode 0600) and the public key {} (key id {})\n",
            g.secret.display(),
            if g.encrypted {
                "encrypted with the password"
            } else {
                "no password"
            },
            g.public.display(),
            g.key_id
        ),
    )?;
    note!(
        "keep {} private; give {} to whoever verifies (rollcall verify --pubkey, or minisign -V -p)",
        g.secret.display(),
        g.public.display()
    );
    Ok(())
}
