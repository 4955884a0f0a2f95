//! Prints the OpenAPI document; `make openapi` writes it to `openapi.json`.

fn main() {
    print!("{}", shared::openapi_json());
}
