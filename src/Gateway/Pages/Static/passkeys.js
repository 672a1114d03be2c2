// Passkeys on the gateway's pages, as progressive enhancement: the buttons stay hidden unless this browser has
// WebAuthn, and every page works without them. The server keeps each ceremony's id in an HttpOnly cookie; this
// script only carries the browser's options and credential, and the page's antiforgery token in a header.
(() => {
    const root = document.getElementById("passkeys");
    if (!root) {
        return;
    }

    const data = root.dataset;
    const supported = typeof window.PublicKeyCredential === "function" && navigator.credentials;
    const goOn = () => {
        if (data.skip) {
            location.replace(data.skip); // the offer is of no use here: continue as if it were not there
        }
    };
    if (!supported) {
        goOn();
        show("passkey-unsupported");
        return;
    }

    // Base64url for browsers without parse…FromJSON / toJSON (Chromium has both).
    const decode = (text) => {
        const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
        const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
        return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
    };
    const encode = (buffer) => {
        let binary = "";
        new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
        return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    };
    const withIds = (list) => (list || []).map((c) => ({ ...c, id: decode(c.id) }));
    const requestOptions = (json) => PublicKeyCredential.parseRequestOptionsFromJSON
        ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
        : { ...json, challenge: decode(json.challenge), allowCredentials: withIds(json.allowCredentials) };
    const creationOptions = (json) => PublicKeyCredential.parseCreationOptionsFromJSON
        ? PublicKeyCredential.parseCreationOptionsFromJSON(json)
        : { ...json, challenge: decode(json.challenge), user: { ...json.user, id: decode(json.user.id) }, excludeCredentials: withIds(json.excludeCredentials) };
    const toJSON = (credential) => {
        if (typeof credential.toJSON === "function") {
            return credential.toJSON();
        }

        const r = credential.response;
        const response = { clientDataJSON: encode(r.clientDataJSON) };
        if (r.attestationObject) {
            response.attestationObject = encode(r.attestationObject);
            response.transports = r.getTransports ? r.getTransports() : [];
        } else {
            response.authenticatorData = encode(r.authenticatorData);
            response.signature = encode(r.signature);
            response.userHandle = r.userHandle ? encode(r.userHandle) : null;
        }

        return {
            id: credential.id, rawId: encode(credential.rawId), type: credential.type, response,
            authenticatorAttachment: credential.authenticatorAttachment || null,
            clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
        };
    };

    const token = () => (document.querySelector("input[name=__RequestVerificationToken]") || {}).value || "";
    const post = async (url, body) => {
        const response = await fetch(url, {
            method: "POST",
            credentials: "same-origin",
            cache: "no-store",
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token() },
            body: JSON.stringify(body || {}),
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) {
            const error = new Error(answer.title || "refused");
            error.reason = answer.reason || "refused";
            throw error;
        }

        return answer;
    };

    function show(id, text) {
        const element = document.getElementById(id);
        if (!element) {
            return;
        }

        if (text !== undefined) {
            element.textContent = text;
        }

        element.hidden = false;
        if (element.tabIndex === -1) {
            element.focus();
        }
    }

    const hideErrors = () => ["passkey-error", "passkey-too-old"].forEach((id) => {
        const element = document.getElementById(id);
        if (element) {
            element.hidden = true;
        }
    });
    const failed = (error) => {
        if (error && error.reason === "sign_in_too_old") {
            show("passkey-too-old");
        } else {
            show("passkey-error", data.error);
        }
    };

    const platformAuthenticator = () => PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable
        ? PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(() => false)
        : Promise.resolve(false);

    if (data.mode === "sign-in") {
        // Tells the server this device can make a passkey, so an email sign-in from here is followed by the offer.
        platformAuthenticator().then((able) => {
            const name = data.capableCookie;
            const secure = name.startsWith("__Host-") ? "; Secure" : "";
            document.cookie = name + (able ? "=1; Max-Age=34560000" : "=; Max-Age=0") + "; Path=/; SameSite=Lax" + secure;
            button.hidden = false;
        });

        const button = document.getElementById("passkey-sign-in");
        let autofill = null; // the conditional request waiting in the email field's autofill
        let autofillBegun = Promise.resolve();

        const signIn = async (conditional, signal) => {
            const begun = post(data.begin);
            if (conditional) {
                autofillBegun = begun.catch(() => {});
            }

            const { publicKey, handle } = await begun;
            const options = { publicKey: requestOptions(publicKey) };
            if (conditional) {
                options.mediation = "conditional";
                options.signal = signal;
            }

            const credential = await navigator.credentials.get(options);
            const { redirect } = await post(data.finish, { handle, credential: toJSON(credential), returnUrl: data.returnUrl });
            location.assign(redirect);
        };

        button.addEventListener("click", async () => {
            hideErrors();
            button.disabled = true;
            if (autofill) {
                autofill.abort();
                autofill = null;
            }

            try {
                await autofillBegun; // its cookie must be written before this ceremony's
                await signIn(false);
            } catch (error) {
                failed(error);
            } finally {
                button.disabled = false;
            }
        });

        if (PublicKeyCredential.isConditionalMediationAvailable) {
            PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
                if (!available) {
                    return;
                }

                autofill = new AbortController();
                signIn(true, autofill.signal).catch((error) => {
                    // Aborted for the button, or dismissed: nothing to say. A passkey the server refused: say so.
                    if (error && error.reason) {
                        failed(error);
                    }
                });
            });
        }

        return;
    }

    // Adding a passkey (the offer after an email sign-in, the account page).
    const add = document.getElementById("passkey-add");
    const ready = async () => {
        // Where the device has no authenticator of its own, the offer after sign-in steps aside.
        if (!(await platformAuthenticator()) && data.skip) {
            goOn();
            return;
        }

        add.hidden = false;
    };
    add.addEventListener("click", async () => {
        hideErrors();
        add.disabled = true;
        try {
            const { publicKey, handle } = await post(data.begin);
            const credential = await navigator.credentials.create({ publicKey: creationOptions(publicKey) });
            const { redirect } = await post(data.finish, { handle, credential: toJSON(credential), returnUrl: data.returnUrl });
            location.assign(redirect);
        } catch (error) {
            failed(error);
        } finally {
            add.disabled = false;
        }
    });
    ready();
})();
