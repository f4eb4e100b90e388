//! Verdict JSON parsing and validation: any bytes give a verdict list or a precise
//! error, never a panic; a valid record survives a round trip unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use verdict_badges::verdict::{ImportError, Verdict, parse_import};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_import(text) {
        Ok(verdicts) => {
            for v in verdicts {
                let back = Verdict::from_json(&v.to_json()).expect("a valid record stays valid");
                assert_eq!(back, v);
            }
        }
        Err(ImportError::Invalid(records)) => {
            for record in records {
                assert!(!record.errors.is_empty(), "an invalid record names its fields");
                let _ = record.to_string();
            }
        }
        Err(_) => {}
    }
    // A single record, as the write API reads it.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = Verdict::from_json(&value);
    }
});
