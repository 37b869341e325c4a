// No code outside the crate can make a consumed link.
use authlink::ConsumedLink;

fn main() {
    let _ = ConsumedLink::<u64>(Default::default());
}
