//! Every import parser over arbitrary bytes: the first byte picks the format, the rest
//! is the file. A parser may refuse the input (with a line and a reason); it must
//! never panic, loop, or accept a record the model's validation refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pobratim::io::{open_items, ImportFormat};
use pobratim::model::LinkKind;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let format = ImportFormat::ALL[pick as usize % ImportFormat::ALL.len()];
    let input: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(file.to_vec()));
    if let Ok(items) = open_items(format, input, LinkKind::Twinning) {
        for item in items.take(10_000) {
            let _ = item;
        }
    }
});
