//! "Hộp thư": the outbox (queue, retry, cancel) and the inbox (read offline, reply), over
//! kyso-sync's store; the background sync ([`crate::sync`]) does the sending.

use std::path::Path;
use std::sync::Arc;

use tauri::State;

use crate::commands::{blocking, required};
use crate::dto::{
    DocumentDto, DocumentMetaDto, ErrorDto, InboxItemDto, OutboxItemDto, QueueRequest,
    ReplyRequest, SyncStatusDto,
};
use crate::files::{self, Files};
use crate::sync::SyncService;

fn open_store() -> Result<kyso_sync::Store, ErrorDto> {
    Ok(kyso_sync::Store::open(&kyso_keys::home::kyso_home())?)
}

/// The outbox, newest first.
#[tauri::command]
pub async fn outbox_list() -> Result<Vec<OutboxItemDto>, ErrorDto> {
    blocking(|| {
        Ok(open_store()?
            .outbox()?
            .into_iter()
            .map(Into::into)
            .collect())
    })
    .await
}

/// The metadata remembered from the last document sent (sender, recipients, signer…).
#[tauri::command]
pub async fn meta_defaults() -> Result<DocumentMetaDto, ErrorDto> {
    blocking(|| Ok(DocumentMetaDto::from(&open_store()?.meta_defaults()?))).await
}

/// Puts a signed PDF in the outbox (the store keeps a copy) and wakes the background sync.
#[tauri::command]
pub async fn queue_document(
    request: QueueRequest,
    files: State<'_, Arc<Files>>,
    sync: State<'_, SyncService>,
) -> Result<OutboxItemDto, ErrorDto> {
    let file = files.check(required(&request.file, "signed PDF")?)?;
    let entry = blocking(move || {
        let meta = kyso_sync::DocumentMeta::from(request.meta);
        let entry = open_store()?.queue(&file, &meta, time::OffsetDateTime::now_utc(), None)?;
        Ok(OutboxItemDto::from(entry))
    })
    .await?;
    sync.wake();
    Ok(entry)
}

/// Sends a refused or failed document again, after the user fixed the cause (a queued one:
/// now).
#[tauri::command]
pub async fn outbox_retry(
    id: i64,
    sync: State<'_, SyncService>,
) -> Result<OutboxItemDto, ErrorDto> {
    let entry = blocking(move || {
        Ok(OutboxItemDto::from(
            open_store()?.retry(id, time::OffsetDateTime::now_utc())?,
        ))
    })
    .await?;
    sync.wake();
    Ok(entry)
}

/// Takes a queued document out of the outbox, while no send was attempted.
#[tauri::command]
pub async fn outbox_cancel(id: i64) -> Result<Vec<OutboxItemDto>, ErrorDto> {
    blocking(move || {
        let mut store = open_store()?;
        store.cancel(id)?;
        Ok(store.outbox()?.into_iter().map(Into::into).collect())
    })
    .await
}

/// "Đồng bộ ngay": the background sync runs a pass at once.
#[tauri::command]
pub fn sync_now(sync: State<'_, SyncService>) {
    sync.wake();
}

/// The last status of the background sync (also sent as the `sync-status` event).
#[tauri::command]
pub fn sync_status(sync: State<'_, SyncService>) -> Option<SyncStatusDto> {
    sync.last()
}

/// The documents fetched from the inbox, newest first (readable offline).
#[tauri::command]
pub async fn inbox_list() -> Result<Vec<InboxItemDto>, ErrorDto> {
    blocking(|| Ok(open_store()?.inbox()?.into_iter().map(Into::into).collect())).await
}

/// Opens an inbox attachment: its stored copy becomes a document of the window (to read, to
/// sign into a reply).
#[tauri::command]
pub async fn inbox_open(
    id: i64,
    sha256: String,
    files: State<'_, Arc<Files>>,
) -> Result<DocumentDto, ErrorDto> {
    let files = files.inner().clone();
    blocking(move || {
        let (entry, _) = open_store()?.inbox_entry(id)?;
        let attachment = entry
            .attachments
            .into_iter()
            .find(|a| a.sha256 == sha256)
            .ok_or_else(|| {
                ErrorDto::new(
                    "NOT_FOUND",
                    format!("no attachment {sha256} in inbox document {id}"),
                )
            })?;
        Ok(files::describe(&files.allow(&attachment.path)))
    })
    .await
}

/// "Trả lời": queues a signed PDF as the reply to an inbox document.
#[tauri::command]
pub async fn reply_document(
    request: ReplyRequest,
    files: State<'_, Arc<Files>>,
    sync: State<'_, SyncService>,
) -> Result<OutboxItemDto, ErrorDto> {
    let file = files.check(required(&request.file, "signed PDF")?)?;
    let entry = blocking(move || {
        let mut store = open_store()?;
        let meta = kyso_sync::DocumentMeta::from(request.meta);
        let entry = kyso_sync::engine::queue_reply(
            &mut store,
            request.inbox_id,
            Path::new(&file),
            meta,
            time::OffsetDateTime::now_utc(),
        )?;
        Ok(OutboxItemDto::from(entry))
    })
    .await?;
    sync.wake();
    Ok(entry)
}
