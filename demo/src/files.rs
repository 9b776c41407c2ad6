//! The page (`www/`) and the JS package (`pkg/`), served from the web
//! root as files; nothing else under it can be named.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::answer;

/// The file under `root` that `path` names, if it names one this server
/// serves: under `/www/` or `/pkg/`, each segment plain (letters, digits,
/// `.`, `_`, `-`, not starting with `.`), so nothing can climb out.
pub fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix('/')?;
    let mut segments: Vec<&str> = rest.split('/').collect();
    if !matches!(segments.first(), Some(&"www") | Some(&"pkg")) {
        return None;
    }
    if let Some(last) = segments.last_mut()
        && last.is_empty()
    {
        *last = "index.html";
    }
    let plain = |s: &&str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    if segments.len() < 2 || !segments.iter().all(plain) {
        return None;
    }
    Some(segments.iter().fold(root.to_path_buf(), |p, s| p.join(s)))
}

/// The Content-Type for a file name.
pub fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ts" | "md" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file `path` (a request's path) names under `root`, or a 404 that
/// says what is missing.
pub async fn serve(root: &Path, path: &str) -> Response {
    let not_found =
        |hint: &str| answer::error(StatusCode::NOT_FOUND, format!("no such file: {path}{hint}"));
    let Some(file) = resolve(root, path) else {
        return not_found("");
    };
    match tokio::fs::read(&file).await {
        Ok(body) => {
            let mut response = body.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(&file)));
            response
        }
        Err(_) if path.starts_with("/pkg/") => {
            not_found(" (build the package first: ./build.sh build)")
        }
        Err(_) => not_found(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_plain_paths_under_www_and_pkg() {
        let root = Path::new("/r");
        for (path, file) in [
            ("/www/", "/r/www/index.html"),
            ("/www/demo.js", "/r/www/demo.js"),
            ("/pkg/frameseal_bg.wasm", "/r/pkg/frameseal_bg.wasm"),
            (
                "/pkg/snippets/a-1/js/canvas.js",
                "/r/pkg/snippets/a-1/js/canvas.js",
            ),
        ] {
            assert_eq!(resolve(root, path), Some(PathBuf::from(file)), "{path}");
        }
        for bad in [
            "/",
            "/www",
            "/src/lib.rs",
            "/www/../Cargo.toml",
            "/www/..",
            "/www/.git",
            "/www//x",
            "/www/a%2e%2e",
            "/www/a\\b",
            "www/x",
            "/pkg/../../etc/passwd",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn wasm_and_scripts_get_their_types() {
        assert_eq!(mime(Path::new("a/frameseal_bg.wasm")), "application/wasm");
        assert_eq!(
            mime(Path::new("a/demo.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(mime(Path::new("x.bin")), "application/octet-stream");
    }
}
