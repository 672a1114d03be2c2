// "Check your email" moves on by itself once the link was opened in another tab of this browser: while the page is
// visible it asks the gateway every 2 seconds, for no longer than the link lives, and stops as soon as there is
// nothing left to wait for. Without script the page's "Continue" button does the same.
(() => {
    const form = document.getElementById("continue");
    if (!form || !window.fetch) {
        return;
    }

    const until = Date.now() + Number(form.dataset.wait) * 1000;
    let timer = null;
    let done = false;

    const schedule = () => {
        if (!done && !document.hidden && timer === null && Date.now() < until) {
            timer = setTimeout(check, 2000);
        }
    };

    const check = async () => {
        timer = null;
        try {
            const response = await fetch(form.dataset.status, { headers: { Accept: "application/json" }, cache: "no-store" });
            const state = response.ok ? (await response.json()).state : "waiting";
            if (state === "signed-in") {
                done = true;
                form.submit();
                return;
            }

            // "none": the request expired, or finished in another browser; a new one starts from this page's buttons.
            done = state !== "waiting";
        } catch {
            // Offline for a moment: ask again later.
        }

        schedule();
    };

    document.addEventListener("visibilitychange", () => {
        if (document.hidden) {
            clearTimeout(timer);
            timer = null;
        } else {
            schedule();
        }
    });
    schedule();
})();
