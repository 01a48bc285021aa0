// Typed wrappers over the Tauri commands. Types come from ./bindings, which are
// generated from src-tauri/src/dto.rs; never edit them by hand.
import { invoke } from "@tauri-apps/api/core";
import type {
  EngineInfo,
  ErrorDto,
  SignRequest,
  SignResult,
  SuggestOutputRequest,
  SuggestOutputResponse,
} from "./bindings";

export function engineInfo(): Promise<EngineInfo> {
  return invoke<EngineInfo>("engine_info");
}

export async function suggestOutput(input: string): Promise<string> {
  const request: SuggestOutputRequest = { input };
  const res = await invoke<SuggestOutputResponse>("suggest_output", { request });
  return res.output;
}

/** Sign; rejects with an ErrorDto (see toErrorDto). */
export function signPdf(request: SignRequest): Promise<SignResult> {
  return invoke<SignResult>("sign_pdf", { request });
}

/** Normalise whatever a rejected invoke gave us into an ErrorDto. */
export function toErrorDto(e: unknown): ErrorDto {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const { code, message } = e as Record<string, unknown>;
    if (typeof code === "string" && typeof message === "string") return { code, message };
  }
  return { code: "DESKTOP_IPC", message: e instanceof Error ? e.message : String(e) };
}
