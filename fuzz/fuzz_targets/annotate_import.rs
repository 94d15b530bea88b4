//! Annotation import (`parse_import` of an exported JSONL file) on arbitrary bytes, against an
//! empty store and a non-empty one; whatever it accepts must survive merge → export → import
//! unchanged (no bad lines, no conflicts, byte-identical re-export).
#![no_main]

use flan_data::annotate::{export_annotations, parse_import};
use flan_data::Annotations;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: afe_fuzz::write_seeds_if_asked(afe_fuzz::annotate_seeds),
    |data: &[u8]| {
        let report = parse_import(data, &Annotations::default());
        for bad in &report.bad_lines {
            assert_eq!(bad.reason, bad.error.to_string());
        }
        assert!(report.conflicts.is_empty());
        // Against a store holding what was accepted: nothing new, nothing in conflict.
        let mut store = Annotations::default();
        store.merge(report.annotations.clone(), 0.0);
        let again = parse_import(data, &store);
        assert_eq!(again.bad_lines.len(), report.bad_lines.len());
        assert!(again.annotations.is_empty(), "{:?}", again.annotations);
        assert!(again.conflicts.is_empty(), "{:?}", again.conflicts);
        // Export of the accepted annotations reads back whole and unchanged.
        let export = export_annotations(&store);
        let back = parse_import(export.as_bytes(), &store);
        assert!(back.bad_lines.is_empty(), "{:?}\n{export}", back.bad_lines);
        assert!(back.conflicts.is_empty(), "{:?}", back.conflicts);
        assert_eq!(back.unchanged, store.len());
        let fresh = parse_import(export.as_bytes(), &Annotations::default());
        let mut store2 = Annotations::default();
        store2.merge(fresh.annotations, 0.0);
        assert_eq!(export_annotations(&store2), export);
    }
);
