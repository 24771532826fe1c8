"""The English sentences of bench/redaction.py's corpus, with a {slot} where generated data goes.

PII_TEMPLATES are lessons that name the customer or someone else, CLEAN_TEMPLATES lessons with no
personal data, and FILL the everyday words (categories, products, amounts, days) that fill their
neutral slots. bench/redaction_corpus.py turns them into lessons.
"""

PII_TEMPLATES = """\
Customer {cname} called about {cref}; the parcel went to {address} instead.
{cname} rang twice about {cref} and was upset nobody called back.
Spoke to {cfirst} at the counter, {she} had waited {n} minutes for the replacement.
{ctitle}{clast} was charged twice for {cref}.
{ctitle}{clast} asked us to change the delivery address to {address}.
{His} partner {tname} said the card ending {last4} was declined, so {she} paid with {card}.
Reach {him} on {cphone} or {cemail}.
Best number for {cfirst} is {cphone}, email {cemail}.
Refunded {amount} to IBAN {iban} after {cfirst} sent the details.
The refund of {amount} went to the wrong account, {iban}, which belongs to {name}.
DOB {dob} was checked against the account before we released {cref}.
Verified identity with date of birth {dob} and {nid}.
{cfirst}'s loyalty points were missing; {ref} shows the right balance.
The courier left the parcel with a neighbour, {tname}, at {address}.
{name} from {place} handled the exchange; direct line {phone}.
Escalated to {name} ({email}) in {team}.
Customer gave {phone} as a second contact, it belongs to {his} daughter {fname}.
{cname} ({cemail}) wants the invoice reissued for {ref}.
Card {card} was charged {amount} twice on {cref}.
Took payment over the phone with {card}, which we should not have done.
Customer read out the full card number {card} in the chat; remind staff to stop them.
The form had {cphone} but {cfirst} now uses {phone}.
Driver {name} said nobody answered at {address}.
{His} neighbour {tname} collected the order with {ref}.
{nid} was written on the returns slip by mistake.
The photo of the ID showed {nid} and date of birth {dob}; deleted it from the ticket.
Please send the replacement to {address} and text {cphone} when it is dispatched.
{cname} asked for all messages to go to {email} from now on.
Call {cfirst} back on {cphone} after {time}.
Merged the duplicate account for {cname}; the old one used {email}.
Payment came from {name}'s account {iban}, not the customer's.
Manager {tname} approved the goodwill gesture for {cref}.
The {clast} family complained again about {ref}, see also {cref}.
{His} son {mname} ({phone}) will pick it up from {place}.
The returns label was printed for {address}, but {cfirst} moved to {address}.
Note from {name}: {cfirst} prefers email ({cemail}) to calls.
{cname} is on the VIP list under {ref}.
Left a voicemail on {cphone} and emailed {cemail}.
Updated the record: new address {address}, new phone {phone}.
The birthday voucher went out early because the DOB was stored as {dob}.
The chargeback on {card} was for {cref}.
Spoke with {ctitle}{clast} about {ref}; {she} also mentioned {ref}.
{cname} was born {dob} and the account said otherwise, so the age check failed.
Sent the courier's details to {cemail} and copied {email}.
Flagged {cref}: {cname} disputes the {amount} fee.""".splitlines()

CLEAN_TEMPLATES = """\
{cat}: the parcel arrived {n} days late and the box was crushed.
Refunded {amount} and added a {amount} voucher for the trouble.
The {product} was out of stock but the website still showed it as available.
The customer waited {n} minutes on hold before anyone picked up.
Will check with {carrier} tomorrow whether the driver scanned it.
Mark the order as resolved once {carrier} confirms delivery.
Park any refund over {amount} with a supervisor before approving it.
Bill the courier for the damaged {product}, not the customer.
Hope this helps the next shift: always check the depot scan first.
May need a second visit to fit the {product}.
{cat}. We promised a call back {day} and nobody made it.
The driver left {qty} at the wrong door {day}.
Offered a {amount} voucher; she accepted it at {time}.
Store manager agreed to waive the delivery fee of {amount}.
The {product} stopped working after {n} weeks, so we swapped it in store.
Checkout charged the card twice; {team} reversed the second payment {day}.
{team} will add a warning to the order screen for bulky items.
Lesson: confirm the delivery slot by text the day before.
Frank conversation with the customer helped; she just wanted an apology.
The price rose between the quote and the invoice, which caused the complaint.
Grace period for the late fee was applied as a one-off.
Returns desk was closed at {time} although the sign said {time}.
Sent {qty} by mistake and collected the extras {day}.
{cat} again for {place}; third time this month.
Next time, escalate to {team} before promising anything.
The app showed the order as delivered at {time} but nothing arrived.
Engineer arrived {day} without the right part for the {product}.
We refunded {amount} and kept the order open until the new one ships.
The assembly team will bring the missing screws {day}.
Check stock in {place} before offering a swap.
Customer was happy with the {amount} credit and a free delivery on the next order.
Apologised for the wait and booked a visit {day} at {time}.
{carrier} lost {qty}; we reshipped them by express.
Sale price was not applied at the till, difference of {amount} refunded.
Our chat bot kept sending the same answer; {team} is looking into it.
The warranty covers {n} years, so no charge for the repair.
Long queue at {place} {day}; extra staff now on Saturdays.
Jack on the delivery van broke, so the {product} came {n} hours late.
Wrong colour sent; the customer kept it with {n}% off.
Do not promise same-day refunds: the bank takes {n} to {n} working days.
Rose gold version was out of stock; offered the silver one at the same price.
Replacement {product} dispatched {day} with tracking.
Sterling payments failed {day} because of the card terminal update.
The invoice showed VAT twice; {team} corrected the template.
Nobody told the customer the order was split into {qty}.
Long wait. Rude reply from the night shift. Apology sent and coaching booked.
The voucher code expired before the {amount} could be used, so we extended it by a month.
Phoned back within the hour, which turned it around.""".splitlines()

FILL = {
    "cat": "Late delivery|Billing error|Damaged item|Wrong item|Missing refund|Rude staff|Long wait"
    "|Faulty product|Double charge|Missed appointment|Lost parcel",
    "product": "Galaxy S23|iPhone 15|AirPods Pro|Dyson V11|Nespresso Vertuo|Kindle Paperwhite|PS5|sofa"
    "|washing machine|garden set|55-inch TV|king-size bed|coffee grinder|Bosch drill",
    "amount": "$25|£40|€19.99|12.50 EUR|555 dollars|30 pounds|£7.95|€120|$14.99|60 euros",
    "time": "9:30|14:00|noon|8am|5.30pm|18:45|closing time",
    "day": "on Monday|last week|yesterday|this morning|on Friday afternoon|over the weekend|in June"
    "|next Tuesday|on 3 March|before Christmas|the following day|by the end of the month",
    "qty": "3 parcels|two boxes|12 items|a second pallet|both bags|4 chairs",
    "carrier": "DPD|UPS|the courier|Royal Mail|DHL|PostNL|Hermes|GLS",
    "place": "the Leeds store|our Berlin warehouse|the Lyon depot|the Madrid branch|the Rotterdam hub"
    "|the outlet in Aarhus|the Manchester store",
    "team": "Billing|the warehouse team|Customer Care|IT|Finance|the delivery partner",
    "n": "2|3|5|10|14|20|45",
    "last4": "4242|0357|1881|7730|9016",  # "the card ending 4242": not counted as an item
}
