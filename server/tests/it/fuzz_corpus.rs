//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/`: the seeds,
//! and every input that once crashed a target, kept there as a regression
//! test) through the same bodies `cargo fuzz` runs (`server::fuzz`). The
//! long fuzzing runs are in `scripts/soak.sh`.

use std::path::Path;

#[test]
fn every_corpus_input_is_answered_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, target) in server::fuzz::TARGETS {
        let dir = root.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(inputs.len() >= 3, "{name}: a seed corpus of at least three inputs");
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "{name}: {} panicked (see above)", input.display());
        }
    }
}

/// The protobuf seed of the OTLP target is the JSON seed, encoded: it
/// must stay a valid request, or the fuzzer starts from nothing.
#[test]
fn the_otlp_seeds_decode() {
    use pipeline::ingest::{otlp, OtlpFormat};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/otlp");
    let json = std::fs::read(root.join("json")).unwrap();
    let request = otlp::decode(&json[1..], OtlpFormat::Json).expect("the JSON seed decodes");
    let proto = std::fs::read(root.join("protobuf")).unwrap();
    assert_eq!(proto[0] % 2, 0, "picks protobuf");
    assert_eq!(otlp::decode(&proto[1..], OtlpFormat::Protobuf).expect("the protobuf seed decodes"), request);
}
