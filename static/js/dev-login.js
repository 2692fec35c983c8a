// The development sign-in form: the prefilled e-mail address follows the user id
// (<user id>@<data-mail-domain>) until the shopper types an address of their own. Without
// JavaScript the server does the same for the untouched prefilled address.
const devSignIn = document.querySelector("[data-mail-domain]");
if (devSignIn) {
  const userId = devSignIn.querySelector("[name=user_id]");
  const email = devSignIn.querySelector("[name=email]");
  const derived = () => `${userId.value.trim()}@${devSignIn.dataset.mailDomain}`;
  let following = email.value === "" || email.value === derived();
  email.addEventListener("input", () => {
    following = email.value === "";
  });
  userId.addEventListener("input", () => {
    if (following) {
      email.value = derived();
    }
  });
}
