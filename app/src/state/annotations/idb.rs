//! A small IndexedDB key-value store for annotations: one readwrite transaction per user
//! action, with strict durability, so what the page shows as saved survives a killed tab.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbObjectStoreParameters, IdbOpenDbRequest, IdbRequest, IdbTransaction,
    IdbTransactionMode,
};

const DB_NAME: &str = "agent-flan-explorer";
const DB_VERSION: u32 = 1;
pub const ANNOTATIONS: &str = "annotations";

/// Why storage failed, in words a user can act on.
#[derive(Clone, Debug, PartialEq)]
pub enum StorageError {
    /// No IndexedDB (private mode in some browsers, or disabled by policy).
    Unavailable(String),
    /// Another tab holds an older version of the database open.
    Blocked,
    /// This tab closed the database because another tab opened a newer version.
    Closed,
    /// The browser's storage quota for this site is used up.
    QuotaExceeded,
    /// Anything else the browser reported.
    Failed(String),
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::Unavailable(why) => write!(f, "This browser gives the page no IndexedDB ({why}); labels cannot be saved. Export them before closing the tab."),
            StorageError::Blocked => write!(f, "Waiting for the label database: another tab of this site holds an older version of it open. Close that tab (or reload it); labelling starts here as soon as it lets go."),
            StorageError::Closed => write!(f, "Another tab opened a newer version of this site, so this tab closed its label database. Reload this tab to keep labelling; changes not shown as saved here are lost on reload, so export them first if you need them."),
            StorageError::QuotaExceeded => write!(f, "The browser's storage for this site is full: the last change was NOT saved. Export your labels, then free space (e.g. delete cached models)."),
            StorageError::Failed(why) => write!(f, "Saving failed: {why}. The last change was NOT saved."),
        }
    }
}

fn dom_error(value: &JsValue) -> StorageError {
    let name = js_sys::Reflect::get(value, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let message = js_sys::Reflect::get(value, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{value:?}"));
    if name == "QuotaExceededError" {
        StorageError::QuotaExceeded
    } else {
        StorageError::Failed(if name.is_empty() {
            message
        } else {
            format!("{name}: {message}")
        })
    }
}

/// Resolves when `request` succeeds (with its result) or fails.
async fn request_done(request: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let fail = Closure::once_into_js(move |ev: web_sys::Event| {
            let error = ev
                .target()
                .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                .and_then(|r| r.error().ok().flatten());
            let _ = reject.call1(
                &JsValue::NULL,
                &error.map(JsValue::from).unwrap_or(JsValue::NULL),
            );
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(|e| dom_error(&e))?;
    request.result().map_err(|e| dom_error(&e))
}

/// Resolves when a transaction has committed (durably, for strict transactions).
async fn transaction_done(tx: &IdbTransaction) -> Result<(), StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject_abort = reject.clone();
        let fail = Closure::once_into_js(move |ev: web_sys::Event| {
            let error = ev
                .target()
                .and_then(|t| t.dyn_into::<IdbTransaction>().ok())
                .and_then(|t| t.error());
            let _ = reject.call1(
                &JsValue::NULL,
                &error.map(JsValue::from).unwrap_or(JsValue::NULL),
            );
        });
        let abort = Closure::once_into_js(move |ev: web_sys::Event| {
            let error = ev
                .target()
                .and_then(|t| t.dyn_into::<IdbTransaction>().ok())
                .and_then(|t| t.error());
            let _ = reject_abort.call1(
                &JsValue::NULL,
                &error.map(JsValue::from).unwrap_or(JsValue::NULL),
            );
        });
        tx.set_oncomplete(Some(ok.unchecked_ref()));
        tx.set_onerror(Some(fail.unchecked_ref()));
        tx.set_onabort(Some(abort.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| dom_error(&e))
}

/// The open database.
#[derive(Clone)]
pub struct Db(IdbDatabase);

impl Db {
    /// Opens the database. `on_blocked` runs if the open has to wait for another tab that holds
    /// an older version open (the open then goes on waiting and succeeds once that tab closes
    /// it); `on_version_change` runs after this connection was closed because another tab asked
    /// for a newer version.
    pub async fn open(
        on_blocked: impl Fn() + 'static,
        on_version_change: impl Fn() + 'static,
    ) -> Result<Db, StorageError> {
        let factory = web_sys::window()
            .ok_or_else(|| StorageError::Unavailable("no window".into()))?
            .indexed_db()
            .map_err(|e| StorageError::Unavailable(dom_error(&e).to_string()))?
            .ok_or_else(|| StorageError::Unavailable("indexedDB is null".into()))?;
        let request: IdbOpenDbRequest = factory
            .open_with_u32(DB_NAME, DB_VERSION)
            .map_err(|e| StorageError::Unavailable(dom_error(&e).to_string()))?;
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let Some(db) = ev
                .target()
                .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                .and_then(|r| r.result().ok())
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
            else {
                return;
            };
            if !db.object_store_names().contains(ANNOTATIONS) {
                let _ = db.create_object_store_with_optional_parameters(
                    ANNOTATIONS,
                    &IdbObjectStoreParameters::new(),
                );
            }
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let on_blocked = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_blocked());
        request.set_onblocked(Some(on_blocked.as_ref().unchecked_ref()));
        let result = request_done(&request).await;
        request.set_onblocked(None);
        request.set_onupgradeneeded(None);
        drop((upgrade, on_blocked));
        let db: IdbDatabase = result?
            .dyn_into()
            .map_err(|_| StorageError::Failed("open did not give a database".into()))?;
        // Another tab wants a newer version: let it go ahead rather than block it. Transactions
        // already started still complete; later writes fail and are reported, never shown saved.
        let closing = db.clone();
        let version_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            closing.close();
            on_version_change();
        });
        db.set_onversionchange(Some(version_change.as_ref().unchecked_ref()));
        version_change.forget();
        Ok(Db(db))
    }

    /// A transaction with `durability: "strict"` (the commit waits for the disk), called
    /// through JS because web-sys only binds that option behind its unstable-API flag.
    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, StorageError> {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"durability".into(), &"strict".into());
        let mode = match mode {
            IdbTransactionMode::Readwrite => "readwrite",
            _ => "readonly",
        };
        let transaction: js_sys::Function = js_sys::Reflect::get(&self.0, &"transaction".into())
            .map_err(|e| dom_error(&e))?
            .dyn_into()
            .map_err(|_| StorageError::Failed("IDBDatabase.transaction is missing".into()))?;
        transaction
            .call3(&self.0, &ANNOTATIONS.into(), &mode.into(), &options)
            .map_err(|e| dom_error(&e))?
            .dyn_into()
            .map_err(|_| StorageError::Failed("transaction() did not return a transaction".into()))
    }

    /// Every stored value (JSON text).
    pub async fn all(&self) -> Result<Vec<String>, StorageError> {
        let tx = self.transaction(IdbTransactionMode::Readonly)?;
        let store = tx.object_store(ANNOTATIONS).map_err(|e| dom_error(&e))?;
        let request = store.get_all().map_err(|e| dom_error(&e))?;
        let values: Array = request_done(&request).await?.dyn_into().unwrap_or_default();
        Ok(values.iter().filter_map(|v| v.as_string()).collect())
    }

    /// Writes (`Some`) and deletes (`None`) in ONE transaction; returns once it is durable.
    pub async fn write(&self, changes: Vec<(String, Option<String>)>) -> Result<(), StorageError> {
        let tx = self.transaction(IdbTransactionMode::Readwrite)?;
        let store = tx.object_store(ANNOTATIONS).map_err(|e| dom_error(&e))?;
        for (key, value) in changes {
            let key = JsValue::from_str(&key);
            let outcome = match value {
                Some(json) => store
                    .put_with_key(&JsValue::from_str(&json), &key)
                    .map(|_| ()),
                None => store.delete(&key).map(|_| ()),
            };
            if let Err(e) = outcome {
                let _ = tx.abort();
                return Err(dom_error(&e));
            }
        }
        transaction_done(&tx).await
    }
}
