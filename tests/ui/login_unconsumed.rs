// Only a consumed link may log its user in: a verified one is not enough.
use authlink::{ConsumedLink, VerifiedLink};

fn log_in(link: &ConsumedLink<u64>) -> u64 {
    *link.user()
}

fn open(link: VerifiedLink<u64>) -> u64 {
    log_in(&link)
}

fn main() {
    let _ = open;
}
