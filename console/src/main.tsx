import { render } from "preact";
import { loadConfig } from "./config";
import { initAuth } from "./auth";
import { initApi } from "./api";
import { App } from "./app";
import { signInFromLink } from "./pages/signin";
import "./styles.css";

const root = document.getElementById("app")!;

loadConfig()
  .then(async (cfg) => {
    initAuth(cfg);
    initApi(cfg.api);
    await signInFromLink();
    // The boot message is plain HTML, not Preact's: clear it rather than diff against it.
    root.textContent = "";
    render(<App />, root);
  })
  .catch((e: unknown) => {
    root.textContent = `The console could not start: ${e instanceof Error ? e.message : String(e)}`;
  });
